"""Oversight (监督): the tamper-evident audit log, risk holds, spot checks and their findings.

    audit     the HMAC-SM3 chain: append, absorb case events and exports, verify, anchors
    holds     risk flags from screening put cases on hold until cleared or corrected
    sampling  reproducible spot-check samples (simple, stratified, risk-weighted)
    findings  auditors' findings, the improper-payment estimate, receivables from findings
    persons   persons checked at a sampled unit, by sealed resident ID number (blind index)
    rotation  re-seal account and ID numbers under the current field key
    scheduler the periodic jobs (audit sync, risk-hold sweep) behind ``wengang scheduler``
"""
