"""The public publicity list as a table of its own (``PublicityListing``), written when a batch
opens; rows for the batches already open are written here, as ``write_listing`` writes them
(a unit's name and code; a person's name masked, no code).

Self-contained: the masking is repeated here (``cases.models.person.mask_name``) so the
migration does not change if that code does.
"""

import django.db.models.deletion
from django.db import migrations, models


def _masked(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def backfill(apps, schema_editor):
    PublicityBatch = apps.get_model("cases", "PublicityBatch")
    PublicityItem = apps.get_model("cases", "PublicityItem")
    PublicityListing = apps.get_model("cases", "PublicityListing")
    for batch_id in PublicityBatch.objects.filter(status="open").values_list("pk", flat=True):
        items = (PublicityItem.objects.filter(batch_id=batch_id).order_by("case_id")
                 .values_list("case_id", "case__unit__name", "case__unit__uscc",
                              "case__person__name", "case__program", "case__amount_fen"))
        PublicityListing.objects.bulk_create(
            (PublicityListing(batch_id=batch_id, case_id=case_id, program=program,
                              amount_fen=amount_fen, code=uscc or "",
                              name=unit_name if unit_name is not None else _masked(person_name))
             for case_id, unit_name, uscc, person_name, program, amount_fen
             in items.iterator(chunk_size=2000)),
            batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_person_beneficiary_claim_items'),
    ]

    operations = [
        migrations.CreateModel(
            name='PublicityListing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='单位名称；个人姓名已脱敏。', max_length=200, verbose_name='名称')),
                ('code', models.CharField(blank=True, help_text='单位的代码；个人不公示证件号码。', max_length=18, verbose_name='统一社会信用代码')),
                ('program', models.CharField(max_length=32, verbose_name='政策项目')),
                ('amount_fen', models.BigIntegerField(verbose_name='返还金额（分）')),
                ('batch', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='listing', to='cases.publicitybatch', verbose_name='公示批次')),
                ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.case', verbose_name='案件')),
            ],
            options={
                'verbose_name': '公示名单行',
                'verbose_name_plural': '公示名单行',
                'constraints': [models.UniqueConstraint(fields=('batch', 'case'), name='publicity_listing_once_per_batch'), models.CheckConstraint(condition=models.Q(('amount_fen__gte', 0)), name='publicity_listing_amount_not_negative')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
