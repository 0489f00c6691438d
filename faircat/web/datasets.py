"""The dataset page ``/portal/datasets/<id>``: what a dataset is, its files, parameters,
provenance, a preview of its default plot and an explorer of its HDF5 files.

Readable by whoever may read the dataset (its experiment's team, the instrument's scientists,
curators; anyone signed in for public data); for everybody else it does not exist (404, the
same page as for an id that was never used). The page only reads: downloads, zips, previews and
the HDF5 explorer are the ``/data/`` routes (downloads.py, hdf5.py), which scripts use with a
token too. Without JavaScript the preview still works (the frame is a form field and the page
reloads), as does the zip of a selection (a GET form of checkboxes).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from faircat.catalogue.vocab import LifecycleState
from faircat.catalogue.workspace import files as workspace
from faircat.web import context, hdf5
from faircat.web.principal import current_caller
from faircat.web.security import parse_id

bp = Blueprint("datasets", __name__)


def _frame(frames: int) -> int:
    """The frame asked for with ``?frame=`` (1-based, as shown), within the stack."""
    asked = parse_id(request.args.get("frame"))
    return min(asked, frames) if asked else 1


@bp.get("/datasets/<id:dataset_id>")
def show(dataset_id: int) -> ResponseReturnValue:
    now = context.now()
    # Opens the file (its own access check); before the page's transaction, not nested in it.
    plot = hdf5.describe(dataset_id)
    with context.catalogue().transaction() as session:
        caller = current_caller(session)
        page = workspace.dataset_page(session, caller.principal, dataset_id, now)
        if page is None:
            abort(404)
        dataset = page.dataset
        facts = {
            "type": str(dataset.type),
            "sample": dataset.sample.name if dataset.sample else None,
            "formula": dataset.sample.chemical_formula if dataset.sample else None,
            "techniques": [t.name for t in dataset.techniques],
            "instrument": dataset.instrument.name if dataset.instrument else None,
        }
        # The experiment's own page is for its team and staff only, even once it is public.
        experiment_link = (
            url_for("portal.experiments.show", label=page.experiment.label)
            if context.can_view(caller.principal, page.target)
            else None
        )
        frame = _frame(plot.frames) if plot else 1
        hdf5_files = [row for row in page.files if row.is_hdf5]
        return render_template(
            "portal/dataset.html",
            page=page,
            dataset=dataset,
            facts=facts,
            public=page.state is LifecycleState.PUBLIC,
            experiment_link=experiment_link,
            plot=plot,
            frame=frame,
            hdf5_files=hdf5_files,
            more_files=len(page.files) > workspace.PAGE_FILES,
            page_files=workspace.PAGE_FILES,
        )
