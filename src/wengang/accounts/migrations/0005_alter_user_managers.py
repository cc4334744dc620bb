"""The users' manager renews the cached copy of every user an ``update()`` changes
(``accounts.backends``): Django's record of the model only, no SQL."""

import wengang.accounts.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_person_login'),
    ]

    operations = [
        migrations.AlterModelManagers(
            name='user',
            managers=[
                ('objects', wengang.accounts.models.UserManager()),
            ],
        ),
    ]
