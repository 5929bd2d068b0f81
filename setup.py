"""Ship the repository's root mappings.yaml inside the wheel, so a non-editable install has its rules."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithTable(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "orders_migrate" / "mappings.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(__file__).parent / "mappings.yaml", target)


setup(cmdclass={"build_py": BuildPyWithTable})
