"""Import contracts: the vocabulary stands alone, the workflow knows no Flask, the models no services."""
from __future__ import annotations

import tomllib

from importlinter.cli import lint_imports

from config import PROJECT_ROOT

PYPROJECT = PROJECT_ROOT / "pyproject.toml"


def contracts() -> dict[str, dict]:
    settings = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {contract["name"]: contract for contract in settings["contracts"]}


def test_the_import_contracts_are_kept(capsys):
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0, \
        capsys.readouterr().out


def test_the_contracts_cover_vocabulary_workflow_and_models():
    by_source = {tuple(c["source_modules"]): set(c["forbidden_modules"]) for c in contracts().values()}
    assert {"models", "workflow", "views", "sqlalchemy", "flask"} <= by_source[("vocabulary",)]
    assert {"views", "flask", "flask_login", "flask_wtf", "wtforms"} <= by_source[("workflow",)]
    assert {"workflow", "views", "flask"} <= by_source[("models",)]
    # The models may share only the clock with the workflow, nothing else of it.
    models = next(c for c in contracts().values() if c["source_modules"] == ["models"])
    assert models["ignore_imports"] == ["models.** -> workflow.clock"]


def test_a_broken_contract_is_reported(tmp_path, capsys):
    """The linter really reads the imports: a contract the code breaks fails."""
    config = tmp_path / "contracts.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["models", "workflow"]\n\n'
                      '[[tool.importlinter.contracts]]\nname = "workflow without models"\n'
                      'type = "forbidden"\nsource_modules = ["workflow"]\n'
                      'forbidden_modules = ["models"]\n')
    assert lint_imports(config_filename=str(config), no_cache=True, no_logo=True) == 1
    assert "workflow without models BROKEN" in capsys.readouterr().out


def test_models_and_workflow_read_the_one_vocabulary():
    """The names both layers used to define are now the vocabulary's own objects."""
    import vocabulary
    from models import Case, EvidenceItem, Finding, GateRequest, Response, Task
    from models import case, evaluation, evidence, finding, user
    from workflow import menu, pathway, roles, tasks

    assert pathway.STAGES is vocabulary.STAGES and pathway.CLOSED is vocabulary.CLOSED
    assert roles.ROLES is vocabulary.ROLES and menu.LEVELS is vocabulary.LEVELS
    assert menu.TOOLS is vocabulary.TOOLS and menu.STATUSES is vocabulary.RESPONSE_STATUSES
    assert tasks.OPEN is vocabulary.OPEN_TASK_STATUSES
    assert case.AGENTS is vocabulary.AGENTS and evidence.KINDS is vocabulary.EVIDENCE_KINDS
    assert finding.CONCLUSIONS is vocabulary.CONCLUSIONS and evaluation.FACTORS is vocabulary.FACTORS
    assert user.TWO_ADMIN_ROLES is vocabulary.TWO_ADMIN_ROLES
    columns = {Case.state: vocabulary.STAGES, EvidenceItem.kind: vocabulary.EVIDENCE_KINDS,
               Finding.kind: vocabulary.FINDING_KINDS, GateRequest.decision: vocabulary.GATE_DECISIONS,
               Response.level: vocabulary.LEVELS, Response.tool: vocabulary.TOOLS,
               Task.status: vocabulary.TASK_STATUSES, Task.role: vocabulary.ROLES}
    for column, values in columns.items():
        assert tuple(column.type.enums) == values, column
