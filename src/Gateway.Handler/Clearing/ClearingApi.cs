using System.Globalization;
using System.Text;
using CsvHelper;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Problems;
using Gateway.Storage;
using Newtonsoft.Json;

namespace Gateway.Handler.Clearing;

public sealed record RespondRequest
{
    public string? Side { get; init; }
    public string? Reason { get; init; }
    public List<string>? SettlementIds { get; init; }
}

/// <summary>
/// The clearing staff's JSON and CSV APIs under /api/v1/clearing (function Clearing): positions, netting,
/// statements, close, confirm/dispute, entries, settlements. HTTP Basic with a clearing-staff credential.
/// </summary>
/// <summary>The home region's review list (事后审核).</summary>
public sealed record ReviewList(string Home, IReadOnlyList<ReviewItemView> Items);

public static class ClearingApi
{
    private const int MaxDisputedIds = 200;
    private const int MaxReason = 1000;
    private const long MaxRespondBytes = 64 * 1024;

    public static void Map(WebApplication app)
    {
        // Every route asks for a policy (ClearingPolicies): who may do what is decided before the handler runs.
        var signedIn = app.MapGroup("/api/v1/clearing").RequireAuthorization(ClearingPolicies.SignedIn);
        var g = app.MapGroup("/api/v1/clearing").RequireAuthorization(ClearingPolicies.Read);
        var closing = app.MapGroup("/api/v1/clearing").RequireAuthorization(ClearingPolicies.Close);
        var responding = app.MapGroup("/api/v1/clearing").RequireAuthorization(ClearingPolicies.Respond);
        var reviewing = app.MapGroup("/api/v1/clearing").RequireAuthorization(ClearingPolicies.Review);
        reviewing.MapGet("/reviews/{home}", async (HttpRequest r, string home, Reviews reviews, CancellationToken ct) =>
        {
            var status = r.Query["status"].ToString();
            if (status.Length > 0 && status is not (ReviewStatus.Flagged or ReviewStatus.Accepted or ReviewStatus.Refused))
                return ProblemTypes.Validation([new("/status", "flagged, accepted or refused.")]).ToResult();
            var items = await reviews.ListAsync(home, status.Length == 0 ? null : status, ct);
            return GatewayResults.Json(new ReviewList(home, items.Select(Reviews.Json).ToList()));
        });
        reviewing.MapPost("/reviews/{home}/{settlementId}/{action}", async (HttpRequest r, string home, string settlementId, string action, ClearingUser u, Reviews reviews, CancellationToken ct) =>
        {
            if (r.ContentLength > MaxRespondBytes) return ProblemTypes.PayloadTooLarge(MaxRespondBytes).ToResult();
            var (bytes, unreadable) = await HttpBody.ReadJsonAsync(r, ct, required: false, maxBytes: MaxRespondBytes);
            if (unreadable is not null) return unreadable.ToResult();
            ReviewRequest body;
            try { body = bytes!.Length == 0 ? new ReviewRequest() : StrictJson.Deserialize<ReviewRequest>(bytes); }
            catch (StrictJsonException e) { return ProblemTypes.Unreadable(e).ToResult(); }
            return await reviews.DecideAsync(home, settlementId, action, body, u, ct);
        });
        signedIn.MapGet("/me", (ClearingUser u) => GatewayResults.Json(u.ToView()));
        g.MapGet("/periods", async (HttpRequest r, LedgerStore ledger, TimeProvider clock, CancellationToken ct) =>
            {
                var known = (await ledger.PeriodsAsync(ct)).ToDictionary(p => p.Period, p => p.Status);
                var current = ClearingPeriod.Of(clock.GetUtcNow());
                for (var p = current; p >= current.Previous().Previous(); p = p.Previous()) known.TryAdd(p.ToString(), "open");
                return GatewayResults.Json(new PeriodsView(current.ToString(), known.OrderByDescending(k => k.Key, StringComparer.Ordinal).Select(k => new PeriodStatusView(k.Key, k.Value)).ToList()));
            });
        g.MapGet("/periods/{period}/positions", async (HttpRequest r, string period, LedgerStore ledger, CancellationToken ct) =>
            {
                if (!ClearingPeriod.TryParse(period, out var p)) return BadPeriod(period);
                var positions = await ledger.PositionsAsync(p, ct);
                var netting = Netting.Compute(positions);
                return GatewayResults.Json(new PositionsView(
                    p.ToString(),
                    await ledger.IsClosedAsync(p, ct),
                    ledger.Regions.Select(x => x.Value).ToList(),
                    positions.Select(PositionView.From).ToList(),
                    FundsView.From(positions.Aggregate(FundAmounts.Zero, (a, x) => a + x.Funds)),
                    positions.Sum(x => x.NetCount),
                    NettingView.From(netting)));
            });
        g.MapGet("/periods/{period}/statements", async (HttpRequest r, string period, LedgerStore ledger, CancellationToken ct) =>
                ClearingPeriod.TryParse(period, out var p) ? GatewayResults.Json((await ledger.StatementsAsync(p, ct)).Select(StatementView.From).ToList()) : BadPeriod(period));
        g.MapGet("/periods/{period}/statements/{home}/{treatment}", async (HttpRequest r, string period, string home, string treatment, LedgerStore ledger, CancellationToken ct) =>
            {
                if (!TryPair(period, home, treatment, out var p, out var h, out var t, out var bad)) return bad!;
                var statement = await ledger.GetStatementAsync(p, h, t, ct);
                var live = (await ledger.PositionsAsync(p, ct)).FirstOrDefault(x => x.Home == h && x.Treatment == t) ?? PairPosition.Empty(p, h, t);
                var history = statement is null ? [] : await ledger.ResponsesAsync(p, h, t, ct);
                return GatewayResults.Json(new StatementDetailView(p.ToString(), home, treatment, statement is null ? null : StatementView.From(statement), PositionView.From(live),
                    history.Select(ResponseView.From).ToList()));
            });
        g.MapGet("/periods/{period}/statements/{home}/{treatment}/csv", async (HttpRequest r, string period, string home, string treatment, LedgerStore ledger, CancellationToken ct) =>
            {
                if (!TryPair(period, home, treatment, out var p, out var h, out var t, out var bad)) return bad!;
                var s = await ledger.GetStatementAsync(p, h, t, ct);
                if (s is null) return ProblemTypes.NotFound($"No statement for {home} → {treatment} in {period}: close the period first.").ToResult();
                return Csv($"statement-{p}-{h}-{t}.csv", w =>
                {
                    w.WriteField("period"); w.WriteField("home"); w.WriteField("treatment"); w.WriteField("fund"); w.WriteField("amount"); w.NextRecord();
                    foreach (var fund in Journal.Funds) { w.WriteField(p.ToString()); w.WriteField(h.Value); w.WriteField(t.Value); w.WriteField(fund); w.WriteField(Journal.Of(s.Funds, fund).ToString("0.00", CultureInfo.InvariantCulture)); w.NextRecord(); }
                    w.WriteField(p.ToString()); w.WriteField(h.Value); w.WriteField(t.Value); w.WriteField("total"); w.WriteField(s.Total.ToString("0.00", CultureInfo.InvariantCulture)); w.NextRecord();
                });
            });
        g.MapGet("/periods/{period}/entries", async (HttpRequest r, string period, LedgerStore ledger, CancellationToken ct) =>
            await EntriesAsync(r, period, ledger, csv: false, ct));
        g.MapGet("/periods/{period}/entries/csv", async (HttpRequest r, string period, LedgerStore ledger, CancellationToken ct) =>
            await EntriesAsync(r, period, ledger, csv: true, ct));
        closing.MapPost("/periods/{period}/close", async (HttpRequest r, string period, LedgerStore ledger, TimeProvider clock, CancellationToken ct, ClearingUser u) =>
            {
                if (!ClearingPeriod.TryParse(period, out var p)) return BadPeriod(period);
                // The timer closes a month once it has ended; clearing staff may close the current month early (explicitly,
                // with confirmation: later postings go to the next month), never a month that has not started.
                var current = ClearingPeriod.Of(clock.GetUtcNow());
                if (p > current)
                {
                    return ProblemTypes.NotStarted(
                        $"Period {p} has not started (the current period is {current}): a period can be closed from its first day on.",
                        [new("/period", $"{p} is after the current period {current}.")]).ToResult();
                }
                var statements = await ledger.CloseAsync(p, ct);
                return GatewayResults.Json(new ClosedPeriodView(p.ToString(), "closed", statements.Select(StatementView.From).ToList()));
            });
        responding.MapPost("/periods/{period}/statements/{home}/{treatment}/{action}", async (HttpRequest r, string period, string home, string treatment, string action, LedgerStore ledger, CancellationToken ct, ClearingUser u) =>
            {
                if (action is not ("confirm" or "dispute")) return ProblemTypes.NotFound($"No action '{action}'.").ToResult();
                if (!TryPair(period, home, treatment, out var p, out var h, out var t, out var bad)) return bad!;
                // Only clearing staff of the statement's own regions answer for it (policy Respond: not read-only central staff,
                // not the closing role, not a region administrator), and each for its own side.
                // The strict reader, within a small limit (200 ids and a 1,000-character reason fit in 64 KiB): a 5 MB body is a
                // 413 before anything is parsed.
                if (r.ContentLength > MaxRespondBytes) return ProblemTypes.PayloadTooLarge(MaxRespondBytes).ToResult();
                var (bytes, unreadable) = await HttpBody.ReadJsonAsync(r, ct, required: false, maxBytes: MaxRespondBytes);
                if (unreadable is not null) return unreadable.ToResult();
                RespondRequest body;
                try { body = bytes!.Length == 0 ? new RespondRequest() : StrictJson.Deserialize<RespondRequest>(bytes); }
                catch (StrictJsonException e) { return ProblemTypes.Unreadable(e).ToResult(); }
                var own = u.RespondsFor.Where(x => x == home || x == treatment).ToList();
                if (body.Side is null && own.Count != 1) return ProblemTypes.Validation([new("/side", "You answer for both regions of this pair: say which side.")]).ToResult();
                var side = body.Side ?? own[0];
                if (side != home && side != treatment) return ProblemTypes.Validation([new("/side", "The region responding: the pair's home or treatment region.")]).ToResult();
                if (!u.CanRespondFor(side)) return ProblemTypes.Forbidden($"User {u.Name} cannot respond for region {side}.").ToResult();
                var ids = (body.SettlementIds ?? []).Select(x => x?.Trim() ?? "").ToList();
                if (action == "dispute")
                {
                    var errors = new List<FieldError>();
                    if (string.IsNullOrWhiteSpace(body.Reason)) errors.Add(new("/reason", "A dispute names a reason."));
                    else if (body.Reason.Length > MaxReason) errors.Add(new("/reason", $"At most {MaxReason} characters."));
                    if (ids.Count == 0) errors.Add(new("/settlementIds", "A dispute names the disputed settlement ids ({hospitalCode}~{id})."));
                    else if (ids.Count > MaxDisputedIds) errors.Add(new("/settlementIds", $"At most {MaxDisputedIds} settlement ids."));
                    if (errors.Count > 0) return ProblemTypes.Validation(errors).ToResult();
                }
                else if (ids.Count > 0) return ProblemTypes.Validation([new("/settlementIds", "A confirmation names no settlement ids.")]).ToResult();
                if (await ledger.GetStatementAsync(p, h, t, ct) is null)
                    return ProblemTypes.NotFound($"No statement for {home} → {treatment} in {period}: close the period first.").ToResult();
                if (action == "dispute")
                {
                    // Each disputed id must be a settlement posted (or reversed) in this period for this pair: the ledger's own rows say.
                    var unknown = await ledger.NotInStatementAsync(p, h, t, ids, ct);
                    if (unknown.Count > 0)
                    {
                        return ProblemTypes.NotInStatement($"Not settlements of {home} → {treatment} in {p}: {string.Join(", ", unknown)}.",
                            unknown.Select(x => new FieldError($"/settlementIds/{ids.IndexOf(x)}", $"'{x}' is not a settlement of this statement.")).ToList()).ToResult();
                    }
                }
                var s = await ledger.RespondAsync(p, h, t, RegionCode.Parse(side), action == "confirm", string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim(), ids, u.Name, ct);
                return s is null ? ProblemTypes.NotFound($"No statement for {home} → {treatment} in {period}: close the period first.").ToResult() : GatewayResults.Json(StatementView.From(s));
            });
        g.MapGet("/reconciliations", async (HttpRequest r, ReconciliationStore results, CancellationToken ct) =>
            GatewayResults.Json((await results.RecentAsync(100, ct)).Select(GatewayJson.Deserialize<ReconciliationView>).ToList()));
        g.MapGet("/settlements/{settlementId}", async (HttpRequest r, string settlementId, LedgerStore ledger, SettlementStore settlements, CancellationToken ct) =>
            {
                if (!Keys.TrySplitSettlementKey(settlementId, out var hospital, out var id)) return ProblemTypes.NotFound($"No settlement '{settlementId}'.").ToResult();
                var s = await settlements.GetAsync(hospital, id, ct);
                if (s is null) return ProblemTypes.NotFound($"No settlement '{settlementId}'.").ToResult();
                var entries = await ledger.EntriesBySettlementAsync(settlementId, ct);
                return GatewayResults.Json(new SettlementJournalView(SettlementView.From(s), s.HospitalCode, entries.Select(e => EntryView.From(e)).ToList()));
            });
    }

    /// <summary>The filters of a pair's entry listing from the query string, or the field errors.</summary>
    private static EntryFilter? ParseFilter(IQueryCollection q, List<FieldError> errors)
    {
        DateOnly? Date(string name)
        {
            var v = q[name].ToString();
            if (v.Length == 0) return null;
            if (DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            errors.Add(new($"/{name}", "A date yyyy-MM-dd (UTC, inclusive)."));
            return null;
        }
        decimal? Amount(string name)
        {
            var v = q[name].ToString();
            if (v.Length == 0) return null;
            if (decimal.TryParse(v, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) && d >= 0) return d;
            errors.Add(new($"/{name}", "An amount ≥ 0 such as 1500.00 (compared with the entry's |total|)."));
            return null;
        }
        var hospital = q["hospital"].ToString().Trim();
        if (hospital.Length > 64) errors.Add(new("/hospital", "A hospital code."));
        var from = Date("from");
        var to = Date("to");
        bool? reversal = q["status"].ToString() switch
        {
            "" or "all" => null,
            "posting" or "posted" => false,
            "reversal" or "reversed" => true,
            _ => Error(),
        };
        bool? Error() { errors.Add(new("/status", "posting (posted) or reversal (reversed); omit for both.")); return null; }
        var min = Amount("min");
        var max = Amount("max");
        if (from > to) errors.Add(new("/from", "from is after to."));
        if (min > max) errors.Add(new("/min", "min is above max."));
        return errors.Count > 0 ? null : new EntryFilter(hospital.Length > 0 ? hospital : null, from, to, reversal, min, max);
    }

    private static async Task<IResult> EntriesAsync(HttpRequest r, string period, LedgerStore ledger, bool csv, CancellationToken ct)
    {
        if (!ClearingPeriod.TryParse(period, out var p)) return BadPeriod(period);
        var q = r.Query;
        var errors = new List<FieldError>();
        var pageSize = 50;
        if (q["pageSize"].ToString() is { Length: > 0 } psText)
        {
            if (int.TryParse(psText, NumberStyles.None, CultureInfo.InvariantCulture, out var ps) && ps >= 1) pageSize = Math.Min(ps, 1000);
            else errors.Add(new("/pageSize", "A whole number from 1 to 1000."));
        }
        string? next;
        var all = new List<(JournalEntry Entry, DateTimeOffset? PostedAt)>();
        if (RegionCode.TryParse(q["home"], out var h) && RegionCode.TryParse(q["treatment"], out var t))
        {
            // A pair: filtered server-side (hospital, posting date, posting/reversal, amount), paged by key.
            var filter = ParseFilter(q, errors);
            if (filter is null) return ProblemTypes.Validation(errors).ToResult();
            string? page = q["page"].ToString() is { Length: > 0 } pg ? pg : null;
            do
            {
                IReadOnlyList<PostedEntry> items;
                try { (items, next) = await ledger.EntriesByPairAsync(p, h, t, filter, csv ? 1000 : pageSize, page, ct); }
                catch (ArgumentException) { return ProblemTypes.Validation([new("/page", "Not a continuation of this listing: start again without page.")]).ToResult(); }
                all.AddRange(items.Select(x => (x.Entry, x.PostedAt)));
                page = next;
            }
            while (csv && next is not null);
        }
        else if (q["hospital"].ToString() is { Length: > 0 } hospital)
        {
            if (errors.Count > 0) return ProblemTypes.Validation(errors).ToResult();
            string? page = q["page"].ToString() is { Length: > 0 } pg ? pg : null;
            do
            {
                IReadOnlyList<JournalEntry> items;
                (items, next) = await ledger.EntriesByHospitalAsync(hospital, p, csv ? 1000 : pageSize, page, ct);
                all.AddRange(items.Select(x => (x, (DateTimeOffset?)null)));
                page = next;
            }
            while (csv && next is not null);
        }
        else return ProblemTypes.Validation([new("/home", "Give home and treatment regions, or a hospital.")]).ToResult();
        if (csv)
        {
            // All pages: with no filter the CSV totals equal the statement.
            return Csv($"entries-{p}.csv", w =>
            {
                foreach (var name in new[] { "settlementId", "sequence", "period", "hospital", "home", "treatment", "basic", "supplementary", "majorIllness", "assistance", "personalAccount", "total" }) w.WriteField(name);
                w.NextRecord();
                foreach (var (e, _) in all.OrderBy(e => e.Entry.SettlementKey, StringComparer.Ordinal).ThenBy(e => e.Entry.Sequence))
                {
                    w.WriteField(e.SettlementKey); w.WriteField(e.Sequence); w.WriteField(e.Period.ToString()); w.WriteField(e.HospitalCode); w.WriteField(e.Home.Value); w.WriteField(e.Treatment.Value);
                    foreach (var fund in Journal.Funds) w.WriteField(Journal.Of(e.Funds, fund).ToString("0.00", CultureInfo.InvariantCulture));
                    w.WriteField(e.Funds.Total.ToString("0.00", CultureInfo.InvariantCulture));
                    w.NextRecord();
                }
            });
        }
        return GatewayResults.Json(new EntriesPage(p.ToString(), all.Select(x => EntryView.From(x.Entry, x.PostedAt)).ToList(), next));
    }

    private static IResult Csv(string fileName, Action<CsvWriter> write)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(text, CultureInfo.InvariantCulture)) write(csv);
        return Results.File(Encoding.UTF8.GetBytes(text.ToString()), "text/csv; charset=utf-8", fileName);
    }

    private static bool TryPair(string period, string home, string treatment, out ClearingPeriod p, out RegionCode h, out RegionCode t, out IResult? bad)
    {
        bad = null;
        h = default;
        t = default;
        if (!ClearingPeriod.TryParse(period, out p)) { bad = BadPeriod(period); return false; }
        if (!RegionCode.TryParse(home, out h) || !RegionCode.TryParse(treatment, out t))
        {
            bad = ProblemTypes.Validation([new("/home", "Six-digit home and treatment region codes.")]).ToResult();
            return false;
        }
        return true;
    }

    private static IResult BadPeriod(string period) => ProblemTypes.Validation([new("/period", $"'{period}' is not a clearing period yyyy-MM.")]).ToResult();

}
