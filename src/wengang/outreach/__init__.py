"""Outreach (企业告知): one notice per enterprise per event, on every channel people use.

The public surface, for the CLI, the console, the demo and the login-by-SMS code:

- ``planning.plan`` / ``planning.derive`` — notices from case events (set-based);
- ``sending.send_pending`` (and ``tasks.enqueue_sending`` in the background) — send them;
- ``channels`` — the adapters (``JsonSmsGateway``, ``CloudSmsGateway``, ``WechatGateway``,
  ``EmailGateway``, ``InboxGateway``, ``OutboxFileGateway``), each with a synchronous ``send``;
- ``receipts`` — delivery receipts; ``calls`` — 12333 call lists;
- ``Notice.objects.reach(...)`` — reach statistics; ``fakes.FakeSmsGateway`` — a real local
  HTTP gateway for tests, benchmarks and rehearsals.
"""
