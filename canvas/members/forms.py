"""Forms of the members pages, the invitation page and the sign-up page.

They parse and validate input only (passwords through Django's validators,
AUTH_PASSWORD_VALIDATORS); views hand the cleaned values to canvas.members services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from canvas.members.invitations import MAX_DAYS, default_days
from canvas.members.services import MAX_TEAM_NAME
from canvas.models import Role, TeamRole

BOARD_ROLE_CHOICES = [(r.value, r.label) for r in Role]
TEAM_ROLE_CHOICES = [(r.value, r.label) for r in TeamRole]
ROLE_HELP = {
    "owner": "Everything, including members, share links and deleting the board",
    "editor": "Edit the board, upload, run jobs",
    "reviewer": "View, comment, approve and reject",
    "viewer": "View only",
    "admin": "Manage the team's members and every team board",
    "kit_manager": "A member who also creates, edits and unlocks the team's brand kits",
    "member": "Create boards in the team; sees team boards with the team's default role",
}


class AddMemberForm(forms.Form):
    user = forms.CharField(
        label="Username or e-mail",
        max_length=254,
        error_messages={"required": "Type the username or e-mail address of the person to add."},
    )
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, team: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role_field.choices = TEAM_ROLE_CHOICES if team else BOARD_ROLE_CHOICES
        self.role_field.initial = "member" if team else "editor"

    @property
    def role_field(self) -> forms.ChoiceField:
        return self.fields["role"]  # type: ignore[return-value]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, team: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
        field.choices = TEAM_ROLE_CHOICES if team else BOARD_ROLE_CHOICES
        field.error_messages["invalid_choice"] = "Pick one of the roles in the list."


class InviteForm(forms.Form):
    role = forms.ChoiceField(label="Role")
    email = forms.EmailField(
        label="Their e-mail (optional)",
        required=False,
        help_text="Only a note for you and a suggestion on their sign-up form.",
        error_messages={"invalid": "That is not an e-mail address; leave it empty if unsure."},
    )
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={
            "min_value": "An invitation link must stay valid for at least 1 day.",
            "max_value": f"An invitation link can stay valid for at most {MAX_DAYS} days.",
            "invalid": "Give the number of days as a whole number.",
            "required": "Say for how many days the link should work.",
        },
    )

    def __init__(self, *args: Any, team: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
        field.choices = TEAM_ROLE_CHOICES if team else BOARD_ROLE_CHOICES
        field.initial = "member" if team else "editor"
        self.fields["days"].initial = default_days()


class TeamForm(forms.Form):
    name = forms.CharField(
        label="Team name",
        max_length=MAX_TEAM_NAME,
        error_messages={
            "required": "A team needs a name.",
            "max_length": f"Team names can be at most {MAX_TEAM_NAME} characters long.",
        },
    )


class TeamDefaultRoleForm(forms.Form):
    default_board_role = forms.ChoiceField(
        label="Team members see team boards as",
        required=False,
        choices=[*BOARD_ROLE_CHOICES[1:], ("", "Nothing: only boards they are added to")],
        error_messages={"invalid_choice": "Pick one of the roles in the list."},
    )


class SignupPolicyForm(forms.Form):
    open = forms.BooleanField(label="Anyone may create an account on /signup/", required=False)


class NewAccountForm(UserCreationForm):
    """Username, e-mail and a password typed twice, checked by Django's validators.

    Django's UserCreationForm already refuses a username taken in any case; this adds an
    e-mail address, which must not belong to another account (people are added by it).
    """

    email = forms.EmailField(
        label="E-mail",
        required=True,
        help_text="Teammates can add you to boards by this address.",
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = "Letters, digits and @ . + - _ only."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail address exists already. Log in instead.",
                code="unique",
            )
        return email

    def name_taken(self) -> bool:
        """Whether the form was refused because a username or e-mail exists (counted by
        the sign-up throttle: that answer tells the typist something about other people)."""
        return any(
            error.code == "unique"
            for name in ("username", "email")
            for error in self.errors.as_data().get(name, [])
        )
