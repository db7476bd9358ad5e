"""python manage.py fit_bands --run RUN.json --labels dev.json [--write]: calibrate the fit bands.

RUN.json is `evaluate_matching --out`'s file: each labelled product's stored creator ranking with its
scores. The two thresholds that put most of those creators in the band of their labelled grade are
fitted, and checked leave-one-product-out; `--write` stores them in matches/fit_bands.json, which the
ranking reads at start.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matches import evaluation, fit_bands


def _read_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            str(pid): [(str(row["channel_id"]), float(row["score"])) for row in rows]
            for pid, rows in data["products"].items()
        }
    except FileNotFoundError:
        raise CommandError(f"Run file not found: {path}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CommandError(f"{path} is not an evaluate_matching --out file: {exc}") from None


class Command(BaseCommand):
    help = "Fit the fit-band thresholds on a labelled set's stored rankings (evaluate_matching --out) and check them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", required=True, help="evaluate_matching --out file")
        parser.add_argument("--labels", required=True, help="the labelled set the run was made on")
        parser.add_argument("--write", action="store_true", help=f"store the thresholds in {fit_bands.THRESHOLDS_FILE}")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            labels = evaluation.load_labels(options["labels"])
        except evaluation.LabelsError as exc:
            raise CommandError(str(exc)) from None
        ranked = _read_run(Path(options["run"]))
        unknown = sorted(set(ranked) - {p.id for p in labels.products})
        if unknown:
            raise CommandError(f"The run has products the labels do not: {', '.join(unknown[:3])}")
        result = fit_bands.calibrate(ranked, labels.creator_qrels)
        cut = result.thresholds
        self.stdout.write(
            f"{result.creators} ranked creators of {result.products} products: strong >= {cut.strong:.4f}, "
            f"good >= {cut.good:.4f}"
        )
        self.stdout.write(
            f"agreement with the labels' grades: {result.in_sample:.3f} in sample, "
            f"{result.held_out:.3f} leave-one-product-out"
        )
        self.stdout.write("leave-one-product-out, labelled band (rows) by predicted band (columns):")
        self.stdout.write(f"  {'':<8}" + "".join(f"{band:>8}" for band in fit_bands.BANDS))
        for truth in fit_bands.BANDS:
            self.stdout.write(
                f"  {truth:<8}" + "".join(f"{result.confusion[truth][band]:>8}" for band in fit_bands.BANDS)
            )
        if options["write"]:
            fit_bands.THRESHOLDS_FILE.write_text(
                json.dumps(
                    {
                        "strong": cut.strong,
                        "good": cut.good,
                        "fitted_on": labels.name,
                        "fitted": date.today().isoformat(),
                        "creators": result.creators,
                        "agreement_in_sample": round(result.in_sample, 3),
                        "agreement_leave_one_product_out": round(result.held_out, 3),
                    },
                    indent=1,
                )
                + "\n",
                encoding="utf-8",
            )
            self.stdout.write(f"Wrote {fit_bands.THRESHOLDS_FILE}")
