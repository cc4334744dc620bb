"""A certificate's level kept on its claim item (the statistics count certificates by level).

Items loaded before it was kept get theirs back from their explanation, which screening wrote as
"… 6-18-01-01 4 级证书（2024-03-01 核发）…" (training-certificate-2024.yaml): one update a level."""

from django.db import migrations, models

LEVELS = (1, 2, 3, 4, 5)


def levels_from_explanations(apps, schema_editor):
    ClaimItem = apps.get_model("cases", "ClaimItem")
    for level in LEVELS:
        ClaimItem.objects.filter(subject="certificate", level__isnull=True,
                                 explanation__contains=f" {level} 级证书").update(level=level)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_notified_label'),
    ]

    operations = [
        migrations.AddField(
            model_name='claimitem',
            name='level',
            field=models.PositiveSmallIntegerField(blank=True, help_text='技能等级证书的等级（1 高级技师 … 5 初级工），取自证书数据；其他事项为空。', null=True, verbose_name='证书等级'),
        ),
        migrations.RunPython(levels_from_explanations, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='claimitem',
            constraint=models.CheckConstraint(condition=models.Q(('level__isnull', True), models.Q(('level__gte', 1), ('level__lte', 5), ('subject', 'certificate')), _connector='OR'), name='claim_item_level_of_a_certificate'),
        ),
    ]
