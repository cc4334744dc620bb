"""Read-only admin pages: money moves only through the services (and their checks)."""

from django.contrib import admin

from .models import (
    AccountChange,
    Budget,
    LedgerEntry,
    PayingAccount,
    Payment,
    PaymentBatch,
    Receivable,
    ReturnFile,
    WriteOffProposal,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Budget)
class BudgetAdmin(ReadOnly):
    list_display = ("region_code", "program", "year", "allocated_fen", "available_fen",
                    "reserved_fen", "paid_fen", "receivable_fen")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnly):
    list_display = ("at", "budget", "kind", "from_account", "to_account", "amount_fen", "batch")
    list_filter = ("kind",)


@admin.register(PayingAccount)
class PayingAccountAdmin(admin.ModelAdmin):
    list_display = ("region_code", "holder_name", "bank_name", "active")


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnly):
    list_display = ("pk", "program", "status", "payment_count", "total_fen", "exported_at")
    list_filter = ("status", "program")


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ("end_to_end_id", "batch", "case", "amount_fen", "status", "account_masked")
    list_filter = ("status",)
    search_fields = ("end_to_end_id", "unit__uscc", "unit__name")


@admin.register(ReturnFile)
class ReturnFileAdmin(ReadOnly):
    list_display = ("name", "format", "applied_at", "paid_count", "failed_count")


@admin.register(AccountChange)
class AccountChangeAdmin(ReadOnly):
    list_display = ("__str__", "status", "requested_at", "verifiable_from", "decided_by")
    list_select_related = ("unit", "person", "decided_by")
    exclude = ("account_number",)


@admin.register(Receivable)
class ReceivableAdmin(ReadOnly):
    list_display = ("unit", "case", "source", "amount_fen", "settled_fen", "due_on")


@admin.register(WriteOffProposal)
class WriteOffProposalAdmin(ReadOnly):
    list_display = ("receivable", "amount_fen", "status", "proposed_by", "decided_by")
    list_filter = ("status",)
