"""Forms of the HTML pages (board list actions). They parse and validate input only.

They must not change the database: views hand the cleaned values to the domain (canvas.boards).
"""

from __future__ import annotations

from typing import cast

from django import forms

from canvas.boards.lifecycle import MAX_NAME
from canvas.models import Team


class BoardNameField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_NAME)
        kwargs.setdefault(
            "error_messages",
            {
                "required": "A board needs a name.",
                "max_length": f"Board names can be at most {MAX_NAME} characters long.",
            },
        )
        super().__init__(**kwargs)


class NewBoardForm(forms.Form):
    name = BoardNameField(label="Board name")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of your teams for the new board."},
    )

    def __init__(self, *args, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teams = teams if teams is not None else Team.objects.none()
        self._team_field.queryset = self.teams

    @property
    def _team_field(self) -> forms.ModelChoiceField:
        return cast(forms.ModelChoiceField, self.fields["team"])

    def clean_team(self) -> Team | None:
        team = self.cleaned_data.get("team")
        teams = self.teams
        # With exactly one team the chooser is hidden and that team is implied.
        if team is None and teams.count() == 1:
            return teams.get()
        if team is None and teams.exists():
            raise forms.ValidationError("Choose the team the new board belongs to.")
        return team


class RenameBoardForm(forms.Form):
    name = BoardNameField(label="New name")


def first_error(form: forms.Form) -> str:
    """The first validation message of ``form``, for a one-line flash message."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return "Check the form and try again."
