using Azure;
using Azure.Data.Tables;

namespace Gateway.Storage;

/// <summary>
/// One traceability code (追溯码, spec §10.1) as held: the settlement holding it (gateway settlement id), the intake attempt that
/// wrote the hold (<see cref="Token"/>), the hash of the request carrying it, and the holder's treatment region (the only thing a
/// rejection names of it).
/// </summary>
public sealed record TraceHold(string Code, string Holder, string Token, string RequestHash, string TreatmentRegion, DateTimeOffset HeldAt, ETag ETag = default);

/// <summary>
/// The national registry of traceability codes: table TraceCodes, partitioned by code (PK the code, RK <see cref="Row"/>), so a
/// code is one row and "exactly one settlement holds it" is the table's own insert-if-absent. Every operation is a point read or
/// a conditional write of one code's row; nothing walks the table. A hold is written by the intake before it records the
/// settlement, taken over (ETag-conditional) only from a holder that is no longer live, and removed only by its holder's release.
/// </summary>
public sealed class TraceCodeStore(GatewayStorage storage)
{
    public const string Row = "held";
    private const int MaxRaces = 20;
    private readonly TableClient _table = storage.Table(GatewayStorage.TraceCodesTable);

    public async Task<TraceHold?> GetAsync(string code, CancellationToken ct)
    {
        var r = await _table.GetEntityIfExistsAsync<TableEntity>(code, Row, cancellationToken: ct).ConfigureAwait(false);
        return r.HasValue ? From(r.Value!) : null;
    }

    /// <summary>Writes the hold if the code is free (true); otherwise the current holder's row (false, with it).</summary>
    public async Task<(bool Held, TraceHold? Current)> TryHoldAsync(TraceHold hold, CancellationToken ct)
    {
        for (var i = 0; i < MaxRaces; i++)
        {
            try
            {
                var response = await _table.AddEntityAsync(To(hold), ct).ConfigureAwait(false);
                return (true, hold with { ETag = response.Headers.ETag ?? default });
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // An SDK retry of an insert that committed meets its own row: it is held by this very attempt.
                if (await GetAsync(hold.Code, ct).ConfigureAwait(false) is { } current)
                    return current.Holder == hold.Holder && current.Token == hold.Token ? (true, current) : (false, current);
                // Released in between: try again.
            }
        }
        throw new InvalidOperationException($"Traceability code {hold.Code}: no stable answer after {MaxRaces} races.");
    }

    /// <summary>Replaces <paramref name="current"/> by <paramref name="hold"/> if nobody changed it since it was read (false otherwise).</summary>
    public async Task<bool> TakeOverAsync(TraceHold current, TraceHold hold, CancellationToken ct)
    {
        try
        {
            await _table.UpdateEntityAsync(To(hold), current.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Releases the code if <paramref name="holder"/> holds it (and, with <paramref name="token"/>, through that intake attempt):
    /// idempotent, and never removes another settlement's hold (the delete is conditional on the row it read).
    /// </summary>
    public async Task<bool> ReleaseAsync(string code, string holder, string? token, CancellationToken ct)
    {
        for (var i = 0; i < MaxRaces; i++)
        {
            var current = await GetAsync(code, ct).ConfigureAwait(false);
            if (current is null || current.Holder != holder || (token is not null && current.Token != token)) return false;
            try
            {
                await _table.DeleteEntityAsync(code, Row, current.ETag, ct).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                // Changed in between (taken over, re-tokened by the same settlement's retry, or released): decide again.
            }
        }
        throw new InvalidOperationException($"Traceability code {code}: no stable answer after {MaxRaces} races.");
    }

    /// <summary>Every hold (verification and the simulator's invariants only: a walk, never on the request path).</summary>
    public async IAsyncEnumerable<TraceHold> AllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in _table.QueryAsync<TableEntity>(cancellationToken: ct).ConfigureAwait(false)) yield return From(e);
    }

    private static TableEntity To(TraceHold h) => new(h.Code, Row)
    {
        ["Holder"] = h.Holder,
        ["Token"] = h.Token,
        ["RequestHash"] = h.RequestHash,
        ["TreatmentRegion"] = h.TreatmentRegion,
        ["HeldAt"] = h.HeldAt,
    };

    private static TraceHold From(TableEntity e) => new(e.PartitionKey, e.GetString("Holder") ?? "", e.GetString("Token") ?? "", e.GetString("RequestHash") ?? "",
        e.GetString("TreatmentRegion") ?? "", e.GetDateTimeOffset("HeldAt") ?? default, e.ETag);
}
