from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dabai.channels.importer import SHARDS, import_in_processes, rows
from dabai.channels.models import ImportJob, ImportStatus


class Command(BaseCommand):
    help = (
        "Import historic conversations from CSV or JSONL (re-runnable; --resume continues a crashed import). "
        "On PostgreSQL the rows are shared out over processes that import side by side (--shards)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", help="A .csv or .jsonl file.")
        parser.add_argument("--resume", type=int, metavar="JOB", help="Continue import JOB where it stopped.")
        parser.add_argument(
            "--shards",
            type=int,
            default=SHARDS,
            metavar="N",
            help=f"Processes for a new import (default {SHARDS}; a resumed import keeps its own).",
        )

    def handle(self, *args, path: str | None, resume: int | None, shards: int, **options) -> None:
        if not 1 <= shards <= 16:
            raise CommandError("--shards must be between 1 and 16")
        job = self._job(path, resume, shards)
        self.stdout.write(f"Import #{job.pk}: {job.name}, {job.total_lines} rows, from row {job.next_line}")
        with tqdm(total=job.total_lines, initial=job.next_line - 1, unit="row", disable=None) as bar:
            import_in_processes(job.pk, progress=lambda now: bar.update(now.next_line - 1 - bar.n))
        job.refresh_from_db()
        for error in job.errors:
            self.stderr.write(f"line {error['line']}: {error['error']}")
        summary = f"{job.imported} imported, {job.duplicates} already present, {len(job.errors)} bad rows."
        self.stdout.write(self.style.SUCCESS(summary))

    def _job(self, path: str | None, resume: int | None, shards: int) -> ImportJob:
        if resume:
            job = ImportJob.objects.filter(pk=resume).first()
            if job is None:
                raise CommandError(f"no import #{resume}")
            if job.status == ImportStatus.DONE:
                raise CommandError(f"import #{resume} is already done")
            return job
        if not path:
            raise CommandError("give a file to import, or --resume JOB")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{path}: no such file")
        job = ImportJob(
            name=source.name,
            format="csv" if source.suffix.lower() == ".csv" else "jsonl",
            shard_count=shards,
        )
        with source.open("rb") as handle:
            job.source.save(source.name, File(handle), save=False)
        job.total_lines = sum(1 for _ in rows(job))
        job.save()
        return job
