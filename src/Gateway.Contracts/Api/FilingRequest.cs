namespace Gateway.Contracts;

/// <summary>
/// What a hospital sends to file a patient of another region (POST /api/v1/filings, 秒备案, spec §9.5). The hospital and
/// the treatment region the filing is for come from the signing key, never from the body; the filing is valid from the day
/// it is made for as many days as the member's home region allows.
/// </summary>
public sealed record FilingRequest
{
    /// <summary>The hospital's own filing id: the idempotency key ([A-Za-z0-9_-], 1–64).</summary>
    public string? HospitalFilingId { get; init; }
    public MemberReference? Member { get; init; }
}
