"""Project limits and spend budgets around one call, next to the key's own quotas.

At admission: the key's project (when it has one) must still exist and allow the model;
the project's RPM/TPM are charged like the key's (``QuotaEnforcer`` under the subject
``project:<id>``); then the most the request may cost is reserved on the key's and the
project's budgets at once (``helixflow.router.access.quota.budget``). At settlement the
reservation becomes the actual cost, the project's tokens are reconciled and the
project's usage (requests, tokens, cost) is recorded under ``project:<id>``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
import time

from helixflow.common.errors import BudgetExceeded, PermissionDenied
from helixflow.router.access.auth.principal import Principal
from helixflow.router.access.pricing import Pricing, usd
from helixflow.router.access.projects.service import ProjectService
from helixflow.router.access.projects.store import ProjectRecord
from helixflow.router.access.quota.budget import Budget, BudgetStore, Refusal, Reservation
from helixflow.router.access.quota.enforcer import QUOTA_REJECTIONS, QuotaEnforcer
from helixflow.router.access.state import REDIS_DOWN, STATE_ERRORS, StateUnavailable
from helixflow.router.access.usage.store import UsageRecorder

log = logging.getLogger(__name__)


def project_subject(project_id: str) -> str:
    return f"project:{project_id}"


def project_principal(project: ProjectRecord) -> Principal:
    """The project as a quota subject: its RPM/TPM, shared by all its keys."""
    return Principal(subject=project_subject(project.project_id), rpm=project.rpm, tpm=project.tpm)


def budgets_of(principal: Principal, project: ProjectRecord | None) -> list[Budget]:
    out = []
    if principal.budget_nanos is not None:
        out.append(Budget(f"key:{principal.subject}", principal.budget_nanos, principal.budget_period))
    if project is not None and project.budget_usd is not None:
        out.append(Budget(project_subject(project.project_id), round(project.budget_usd * 1e9), project.budget_period))
    return out


class Spend:
    def __init__(
        self,
        quota: QuotaEnforcer,
        usage: UsageRecorder,
        pricing: Pricing,
        budgets: BudgetStore,
        projects: ProjectService | None,
        *,
        fail_open: bool,
    ) -> None:
        self._quota = quota
        self._usage = usage
        self.pricing = pricing
        self.budgets = budgets
        self._projects = projects
        self._fail_open = fail_open

    async def project(self, principal: Principal, model: str, prompt: int) -> ProjectRecord | None:
        """The caller's project, checked against ``model`` and charged its RPM/TPM;
        PERMISSION_DENIED when it is gone or does not allow the model."""
        if not principal.project_id:
            return None
        record = None if self._projects is None else await self._projects.find(principal.project_id)
        if record is None:
            raise PermissionDenied(f"this key's project {principal.project_id!r} no longer exists; ask an admin")
        if record.models and not any(fnmatch.fnmatchcase(model, p) for p in record.models):
            raise PermissionDenied(
                f"project {record.name!r} may not use model {model!r}",
                metadata={"model": model, "project": record.name},
            )
        await self._quota.admit(project_principal(record), prompt)
        return record

    async def reserve(
        self, principal: Principal, project: ProjectRecord | None, model: str, prompt: int, max_tokens: int
    ) -> Reservation | None:
        """Reserve the request's cost bound on its budgets, or raise BUDGET_EXCEEDED."""
        budgets = budgets_of(principal, project)
        amount = self.pricing.bound(model, prompt, max_tokens)
        if not budgets or amount <= 0:
            return None
        now = time.time()
        try:
            outcome = await self.budgets.reserve(budgets, amount, now)
        except REDIS_DOWN as exc:
            outcome_name = "admitted" if self._fail_open else "refused"
            STATE_ERRORS.labels(component="budget", outcome=outcome_name).inc()
            if self._fail_open:
                return None
            raise StateUnavailable("budget store unreachable; retry shortly", retry_after_s=1.0) from exc
        if isinstance(outcome, Refusal):
            QUOTA_REJECTIONS.labels(limit="budget").inc()
            raise await self._refusal(outcome, amount, now)
        return outcome

    async def _refusal(self, refusal: Refusal, amount: int, now: float) -> BudgetExceeded:
        budget = refusal.budget
        spent = await self.budgets.spent(budget, now)
        owner = "this key's" if budget.owner.startswith("key:") else f"project {budget.owner.split(':', 1)[1]}'s"
        resets = dt.datetime.fromtimestamp(refusal.period_end, dt.UTC).isoformat(timespec="seconds")
        return BudgetExceeded(
            f"{owner} spend budget of ${usd(budget.limit_nanos):.4f} per {budget.period} is used up "
            f"(${usd(spent):.6f} spent or reserved; this request may cost up to ${usd(amount):.6f}). "
            f"It resets at {resets}; lower max_tokens, or ask an admin to raise the budget.",
            retry_after_s=max(1.0, refusal.period_end - now),
            metadata={"limit": "budget", "owner": budget.owner},
        )

    async def settle(
        self, principal: Principal, project: ProjectRecord | None, reservation: Reservation | None, cost: int,
        prompt: int, completion: int, token_delta: int,
    ) -> None:  # fmt: skip
        if reservation is not None:
            try:
                await self.budgets.settle(reservation, cost)
            except REDIS_DOWN as exc:
                STATE_ERRORS.labels(component="budget", outcome="settle_lost").inc()
                log.warning("budget store unreachable (%s); %d nano-dollars not settled", type(exc).__name__, cost)
        if project is not None:
            subject = project_principal(project)
            await self._quota.reconcile(subject, token_delta)
            await self._usage.record(subject.subject, requests=1, prompt=prompt, completion=completion, cost=cost)
