"""Complainant names encrypted at rest, with a keyed hash (privacy.crypto.name_index) for lookups."""

from django.db import migrations, models

import xiaobao.privacy.fields


def encrypt_names(apps, schema_editor):
    # Read the stored plaintext with SQL: the model state already says "encrypted".
    from xiaobao.privacy.crypto import encrypt, looks_encrypted, name_index

    table = "complaints_complainant"
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quote('name')} FROM {quote(table)}")
        rows = cursor.fetchall()
        for pk, name in rows:
            name = name or ""
            if not name or looks_encrypted(name):
                continue
            cursor.execute(
                f"UPDATE {quote(table)} SET {quote('name')} = %s, name_hash = %s WHERE id = %s",
                [encrypt(name, field="name"), name_index(name), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_statistics_facts")]

    operations = [
        migrations.AddField(
            model_name="complainant",
            name="name_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="complainant",
            name="name",
            field=xiaobao.privacy.fields.EncryptedTextField(kind="name", verbose_name="姓名/名称"),
        ),
        migrations.RunPython(encrypt_names, migrations.RunPython.noop),
    ]
