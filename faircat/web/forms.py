"""The portal's forms (Flask-WTF: every form carries a CSRF token).

Forms check only what a person can fix by retyping (empty fields, date formats, lengths);
the rules of the catalogue (who may ask, which dates are allowed) stay in the domain layer,
whose errors the views show next to the same form.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

JUSTIFICATION_HELP = "Why you ask for this; the curator reads it before deciding."


class LoginForm(FlaskForm):
    username = StringField(
        "Username", validators=[InputRequired("Enter your username."), Length(max=128)]
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    submit = SubmitField("Sign in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Sign out")


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new = PasswordField(
        "New password",
        description="At least 12 characters; a few unrelated words are easy to remember.",
        validators=[InputRequired("Enter a new password."), Length(max=1024)],
    )
    confirm = PasswordField(
        "New password again", validators=[InputRequired("Type the new password again.")]
    )
    submit = SubmitField("Change password")

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.new.data:
            raise ValidationError("The two new passwords differ.")


class SignOutEverywhereForm(FlaskForm):
    submit = SubmitField("Sign out everywhere else")


class MarkReadForm(FlaskForm):
    """Marks one notification read (``notification`` set) or all of them (empty)."""

    notification = HiddenField()
    submit = SubmitField("Mark read")


class _Justified(FlaskForm):
    justification = TextAreaField(
        "Justification",
        description=JUSTIFICATION_HELP,
        validators=[DataRequired("Give a justification."), Length(max=5000)],
    )


class EarlyReleaseForm(_Justified):
    requested_date = DateField(
        "Release on",
        description="Leave empty to release as soon as the request is approved.",
        validators=[Optional()],
    )
    submit = SubmitField("Request early release")


class ExtensionForm(_Justified):
    requested_date = DateField(
        "New release date", validators=[InputRequired("Choose the new release date.")]
    )
    submit = SubmitField("Request an extension")


class CreatorForm(Form):
    """One creator row; a row left entirely empty is ignored (see :func:`creators_of`)."""

    full_name = StringField("Full name", validators=[Length(max=255)])
    given_name = StringField("Given name", validators=[Length(max=128)])
    family_name = StringField("Family name", validators=[Length(max=128)])
    orcid = StringField("ORCID iD", validators=[Length(max=64)])
    affiliation = StringField("Affiliation", validators=[Length(max=255)])
    # Carried from the pre-filled member rows so the DOI's creators stay linked to accounts.
    user_id = HiddenField()
    affiliation_ror = HiddenField()


CREATOR_KEYS = ("full_name", "given_name", "family_name", "orcid", "affiliation")
HIDDEN_CREATOR_KEYS = ("user_id", "affiliation_ror")


class SelectionDoiForm(_Justified):
    title = StringField(
        "Title", validators=[DataRequired("Give the DOI a title."), Length(max=500)]
    )
    abstract = TextAreaField("Abstract", validators=[Length(max=10000)])
    creators = FieldList(FormField(CreatorForm), min_entries=1)
    # Which datasets may be chosen is the domain's rule (it names the strays), not the form's.
    dataset_ids = SelectMultipleField(
        "Datasets",
        coerce=int,
        validate_choice=False,
        validators=[InputRequired("Choose at least one dataset.")],
    )
    # The creator rows also have "add_creator" and "remove_creator" buttons (plain names in the
    # template, see experiments.py): without JavaScript they re-render the form with a row more
    # or less; portal.js does the same in the page.
    submit = SubmitField("Request a DOI")

    def validate_creators(self, field: FieldList) -> None:
        if not creators_of(self):
            raise ValidationError("List at least one creator.")
        for row in field:
            values = {key: (row.form[key].data or "").strip() for key in CREATOR_KEYS}
            if any(values.values()) and not (values["full_name"] or values["family_name"]):
                row.form.full_name.errors = [*row.form.full_name.errors, "Give a name."]
                raise ValidationError("Every creator needs a name.")


class AmendmentForm(_Justified):
    publication_id = SelectField(
        "DOI to amend", coerce=str, validators=[InputRequired("Choose the DOI to amend.")]
    )
    title = StringField(
        "New title", description="Leave empty to keep the title.", validators=[Length(max=500)]
    )
    abstract = TextAreaField(
        "New abstract",
        description="Leave empty to keep the abstract.",
        validators=[Length(max=10000)],
    )
    submit = SubmitField("Request an amendment")

    def validate_abstract(self, field: TextAreaField) -> None:
        if not (self.title.data or "").strip() and not (field.data or "").strip():
            raise ValidationError("Change the title, the abstract or both.")


class WithdrawalForm(_Justified):
    submit = SubmitField("Request withdrawal")


class DecisionForm(FlaskForm):
    # Optional here: the domain layer requires it for a rejection and says so.
    comment = TextAreaField(
        "Comment to the requester",
        description="Required when rejecting: tell the requester why.",
        validators=[Length(max=5000)],
    )
    approve = SubmitField("Approve")
    reject = SubmitField("Reject")


def creators_of(form: SelectionDoiForm) -> list[dict[str, Any]]:
    """The creator rows as the domain wants them: stripped, None for blanks, empty rows gone."""
    creators = []
    for row in form.creators:
        values = {key: (row.form[key].data or "").strip() or None for key in CREATOR_KEYS}
        if any(values.values()):  # a row whose visible fields are all empty was left blank
            for key in HIDDEN_CREATOR_KEYS:
                values[key] = (row.form[key].data or "").strip() or None
            creators.append(values)
    return creators
