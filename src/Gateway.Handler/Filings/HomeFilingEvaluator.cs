using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Home;
using Gateway.Storage;

namespace Gateway.Handler.Filings;

/// <summary>
/// The reference home region's answer to a filing request (kind <c>file</c> on <c>eval-requests-{region}</c>, run by
/// EvaluateHome{region}; docs/messages.md): the member must be in the registry (or the national directory) and covered, and
/// the pack effective on the filing day must allow online filing (<see cref="OnlineFiling.Decide"/>). The decision and its
/// reply are recorded once, insert-only, in the member's partition (<c>filing-{filingId}</c>), so a redelivery sends the same
/// reply again and a recorded filing counts for every later settlement of the member whose service date it covers.
/// </summary>
public sealed class HomeFilingEvaluator(MemberStore members, RulePackSet packs, NationalDirectory directory, TimeProvider clock)
{
    private const int MaxConflictRetries = 10;

    public async Task<string> HandleAsync(string region, string json, CancellationToken ct)
    {
        var m = GatewayJson.Deserialize<FilingRequestMessage>(json);
        if (m.SchemaVersion != FilingRequestMessage.CurrentSchemaVersion)
            throw new InvalidOperationException($"Unsupported schemaVersion {m.SchemaVersion} of a filing request.");
        if (m.HomeRegion != region)
            throw new InvalidOperationException($"Filing for home region {m.HomeRegion} arrived on the queue of {region}.");
        if (!RegionCode.TryParse(m.HomeRegion, out var home) || !RegionCode.TryParse(m.TreatmentRegion, out var treatment)
            || m.FilingId is null || !Keys.TrySplitSettlementKey(m.FilingId, out _, out _) || !Keys.IsValidId(m.MemberId))
            throw new InvalidOperationException("The filing request's identifiers are not valid.");

        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var (profile, marker) = await members.LoadFilingAsync(home, m.MemberId, m.FilingId, ct).ConfigureAwait(false);
            if (marker is not null) return marker.ReplyJson; // decided before: the same answer
            if (profile is null && directory.Enabled)
            {
                var (answer, found) = await directory.LookupAsync(home, m.MemberId, ct).ConfigureAwait(false);
                if (answer != DirectoryAnswer.Malformed && found is not null)
                {
                    await members.UpsertProfileAsync(found, ct).ConfigureAwait(false);
                    profile = found;
                }
            }
            var (filing, refusal) = OnlineFiling.Decide(packs, home, treatment, profile, m.FiledOn);
            var reply = GatewayJson.Serialize(new FilingReplyMessage
            {
                Outcome = filing is null ? FilingReplyMessage.Refused : FilingReplyMessage.Filed,
                CorrelationId = m.CorrelationId,
                FilingId = m.FilingId,
                HospitalCode = m.HospitalCode,
                HomeRegion = m.HomeRegion,
                TreatmentRegion = m.TreatmentRegion,
                MemberId = m.MemberId,
                Filing = filing is null ? null : new FilingValidityDto(filing.TreatmentRegion.Value, filing.ValidFrom, filing.ValidTo!.Value),
                Refusal = refusal is null ? null : RejectionDto.From(refusal),
                DecidedAt = clock.GetUtcNow(),
            });
            var decision = new FilingMarker(m.FilingId, filing is null ? FilingMarkerStatus.Refused : FilingMarkerStatus.Filed, m.TreatmentRegion,
                filing?.ValidFrom, filing?.ValidTo, reply);
            if (await members.RecordFilingAsync(home, m.MemberId, decision, ct).ConfigureAwait(false)) return reply;
            // Recorded by a concurrent delivery in between: send what it recorded.
        }
        throw new InvalidOperationException($"Gave up recording filing {m.FilingId} after {MaxConflictRetries} conflicts.");
    }
}
