"""Complainant names encrypted at rest; their keyed hash (privacy.crypto.name_index) kept."""

from django.db import migrations

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
                f"UPDATE {quote(table)} SET {quote('name')} = %s, name_index = %s WHERE id = %s",
                [encrypt(name, field="name"), name_index(name), pk],
            )


class Migration(migrations.Migration):
    # After the name index exists (0006_complainant_name_index), which this keeps filled.
    dependencies = [("complaints", "0006_complainant_name_index")]

    operations = [
        migrations.AlterField(
            model_name="complainant",
            name="name",
            field=xiaobao.privacy.fields.EncryptedTextField(kind="name", verbose_name="姓名/名称"),
        ),
        migrations.RunPython(encrypt_names, migrations.RunPython.noop),
    ]
