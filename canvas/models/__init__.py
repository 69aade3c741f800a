"""Canvas models, one module per concept; import them from here.

The members models (invitations, the sign-up switch) live in canvas/members/models.py and
the governance models (consistency scores, brand kits) in canvas/governance/models.py and
canvas/governance/kits/models.py; all are
imported here so Django finds them as canvas models.
"""

from canvas.governance.kits.models import BrandKit, BrandKitReference, BrandKitVersion
from canvas.governance.models import ConsistencyCheck, ConsistencyScore, Rescore
from canvas.members.models import Invitation, InvitationStatus, SignupPolicy
from canvas.models.atlas import AtlasSheet, AtlasSheetUse, BoardAtlas
from canvas.models.batches import BATCH_ENDED_STATES, Batch, BatchApproval, BatchState
from canvas.models.boards import Board, BoardMember, DriftTriage
from canvas.models.items import AnchorRole, Item, ItemKind, live_images
from canvas.models.jobs import (
    Iteration,
    IterationStatus,
    Job,
    JobMode,
    JobPriority,
    JobState,
)
from canvas.models.operations import BoardOperation
from canvas.models.providers import (
    BoardEngineFallbacks,
    BreakerState,
    CallOutcome,
    ProviderCall,
    ProviderHealth,
)
from canvas.models.review import (
    Comment,
    CommentRead,
    CommentTarget,
    Decision,
    DecisionEvent,
    DecisionStatus,
    Tier,
)
from canvas.models.roles import Role
from canvas.models.sharing import (
    AuditAction,
    LinkPermission,
    ShareAuditEvent,
    ShareLink,
    ShareScope,
    ShareVisibility,
)
from canvas.models.teams import Team, TeamMembership, TeamRole
from canvas.models.tokens import ApiToken

__all__ = [
    "BATCH_ENDED_STATES",
    "AnchorRole",
    "ApiToken",
    "AtlasSheet",
    "AtlasSheetUse",
    "AuditAction",
    "Batch",
    "BatchApproval",
    "BatchState",
    "Board",
    "BoardAtlas",
    "BoardEngineFallbacks",
    "BoardMember",
    "BoardOperation",
    "BrandKit",
    "BrandKitReference",
    "BrandKitVersion",
    "BreakerState",
    "CallOutcome",
    "Comment",
    "CommentRead",
    "CommentTarget",
    "ConsistencyCheck",
    "ConsistencyScore",
    "Decision",
    "DecisionEvent",
    "DecisionStatus",
    "DriftTriage",
    "Invitation",
    "InvitationStatus",
    "Item",
    "ItemKind",
    "Iteration",
    "IterationStatus",
    "Job",
    "JobMode",
    "JobPriority",
    "JobState",
    "LinkPermission",
    "ProviderCall",
    "ProviderHealth",
    "Rescore",
    "Role",
    "ShareAuditEvent",
    "ShareLink",
    "ShareScope",
    "ShareVisibility",
    "SignupPolicy",
    "Team",
    "TeamMembership",
    "TeamRole",
    "Tier",
    "live_images",
]
