"""Typed SQLAlchemy models; table names are part of the contract (DESIGN.md)."""

from app.models.analytics import AnalyticsDaily, AnalyticsDirtyDay, AnalyticsStoredSpan
from app.models.backup_run import BackupRun, BackupStatus, BackupTrigger
from app.models.bulk import BulkAction, BulkJob, BulkJobItem, BulkState, ExportAudit
from app.models.distributor import Distributor
from app.models.interaction import InteractionType, LeadInteraction
from app.models.job_lease import JobLease
from app.models.lead import DNC_REASONS, FacebookLead, FailedLead, LeadOrigin, LeadStatus
from app.models.lead_index import LeadCounter, LeadSearchTerm
from app.models.lead_merge import LeadMerge
from app.models.lead_task import LeadTask, TaskKind, WhatsAppTemplate
from app.models.mail import DigestPart, MailStatus, OutboxMail
from app.models.meta_config import ConfigStatus, MetaApiConfig, MetaForm
from app.models.privacy import (
    AccessAction,
    AccessLog,
    PrivacyErasure,
    PrivacyRun,
    PrivacyTombstone,
    TombstoneKind,
)
from app.models.routing import ResponseTarget, RoutingRule, RoutingRuleStaff, RoutingStrategy
from app.models.saved_view import SavedView
from app.models.scoring import RescoreState, ScoringRescore, ScoringRuleSet
from app.models.sync_run import SyncRun, SyncStatus, SyncTrigger
from app.models.two_factor import AppSetting, RecoveryCode, TrustedDevice, UserTwoFactor
from app.models.user import Role, User
from app.models.user_session import UserSession
from app.models.webhook_event import MetaWebhookEvent, WebhookEventStatus

__all__ = [
    "AnalyticsDaily",
    "AnalyticsDirtyDay",
    "AnalyticsStoredSpan",
    "AppSetting",
    "AccessAction",
    "AccessLog",
    "BackupRun",
    "BackupStatus",
    "BackupTrigger",
    "BulkAction",
    "BulkJob",
    "BulkJobItem",
    "BulkState",
    "ConfigStatus",
    "DNC_REASONS",
    "DigestPart",
    "Distributor",
    "ExportAudit",
    "FacebookLead",
    "LeadOrigin",
    "LeadMerge",
    "FailedLead",
    "InteractionType",
    "JobLease",
    "LeadCounter",
    "LeadInteraction",
    "LeadSearchTerm",
    "LeadStatus",
    "LeadTask",
    "MailStatus",
    "MetaApiConfig",
    "MetaForm",
    "MetaWebhookEvent",
    "OutboxMail",
    "PrivacyErasure",
    "PrivacyRun",
    "PrivacyTombstone",
    "RecoveryCode",
    "RescoreState",
    "ResponseTarget",
    "Role",
    "RoutingRule",
    "RoutingRuleStaff",
    "RoutingStrategy",
    "SavedView",
    "ScoringRescore",
    "ScoringRuleSet",
    "SyncRun",
    "SyncStatus",
    "SyncTrigger",
    "TaskKind",
    "TombstoneKind",
    "TrustedDevice",
    "User",
    "UserTwoFactor",
    "UserSession",
    "WebhookEventStatus",
    "WhatsAppTemplate",
]
