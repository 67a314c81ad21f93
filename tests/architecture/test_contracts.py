"""Architecture rules enforced by tests, not by hope."""

import subprocess
import sys
from pathlib import Path

from domain.piccolo_app import APP_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


async def test_tables_and_migrations_do_not_drift():
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    statements = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    pending = [line for group in statements for line in group.statements]
    assert pending == [], "run `piccolo migrations new domain --auto`:\n" + "\n".join(pending)


def test_every_domain_table_is_registered_in_the_app():
    from piccolo.table import Table

    registered = set(APP_CONFIG.table_classes)
    for module_path in (ROOT / "domain").glob("*/tables.py"):
        module_name = ".".join(module_path.relative_to(ROOT).with_suffix("").parts)
        module = __import__(module_name, fromlist=["*"])
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Table) and value is not Table \
                    and value.__module__ == module_name:
                assert value in registered, f"{value.__name__} missing from piccolo_app"
