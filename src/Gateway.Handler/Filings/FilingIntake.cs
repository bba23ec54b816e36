using System.Security.Cryptography;
using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Gateway.Handler.Intake;
using Gateway.Handler.Problems;
using Gateway.Handler.Security;
using Gateway.Storage;

namespace Gateway.Handler.Filings;

/// <summary>
/// <c>POST /api/v1/filings</c> and <c>GET /api/v1/filings/{id}</c>: a hospital files a patient of another region for its
/// own treatment region (秒备案). Signed like a settlement; the body is read strictly and checked before anything is written
/// (a bad body writes nothing but the request's nonce, which every signed request spends); recorded idempotently by the
/// hospital's filing id (same id + same body = the same filing, another body = 409); sent to the home region's queue; the
/// home region records it or refuses it. The answer is asynchronous: <c>202</c> with <c>Location</c>, or with
/// <c>Prefer: wait=N</c> (N ≤ 20) <c>201</c> filed or <c>422</c> refused. A pending filing is sent again by a retry or a
/// poll once <see cref="HandlerSettings.RedispatchAfter"/> has passed since it was last sent (the home side is idempotent).
/// </summary>
public sealed class FilingIntake(HospitalAuthenticator auth, RulePackSet packs, FilingStore filings, FilingDispatcher dispatcher, FilingSignals signals,
    HandlerSettings settings, TimeProvider clock)
{
    /// <summary>A filing body is small: a hospital filing id and the member.</summary>
    public const long MaxBytes = 16 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public async Task<IResult> SubmitAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, bodyProblem) = await HttpBody.ReadJsonAsync(request, ct, maxBytes: MaxBytes).ConfigureAwait(false);
        if (bodyProblem is not null) return bodyProblem.ToResult();
        var (hospital, authProblem) = await auth.AuthenticateAsync(request, body!, ct).ConfigureAwait(false);
        if (authProblem is not null) return authProblem.ToResult();

        FilingRequest dto;
        try
        {
            dto = StrictJson.Deserialize<FilingRequest>(body!);
        }
        catch (StrictJsonException e)
        {
            return ProblemTypes.Unreadable(e).ToResult();
        }
        var errors = Validate(dto);
        if (errors.Count > 0) return ProblemTypes.Validation(errors).ToResult();
        var home = RegionCode.Parse(dto.Member!.HomeRegion!);
        if (!packs.Knows(home))
            return ProblemTypes.Rejection(new Rejection(RejectionCode.UnknownHomeRegion, $"Region {home} is not a known home region.", "/member/homeRegion")).ToResult();
        if (home == hospital!.Region)
            return ProblemTypes.Rejection(new Rejection(RejectionCode.NotCrossRegion, "The member is insured in the hospital's own region: no filing is needed.")).ToResult();

        var now = clock.GetUtcNow();
        var filingId = Keys.SettlementKey(hospital.Code, dto.HospitalFilingId!);
        var filedOn = ChinaTime.DateOf(now); // the day in China: the filing is valid from it
        var record = new FilingRecord
        {
            HospitalCode = hospital.Code,
            HospitalFilingId = dto.HospitalFilingId!,
            Status = FilingStatus.Pending,
            RequestHash = Convert.ToHexStringLower(SHA256.HashData(body!)),
            HomeRegion = home.Value,
            TreatmentRegion = hospital.Region.Value,
            MemberId = dto.Member.MemberId!,
            FiledOn = filedOn,
            SubmittedAt = now,
            DispatchedAt = now,
            RequestMessage = GatewayJson.Serialize(new FilingRequestMessage
            {
                CorrelationId = filingId,
                FilingId = filingId,
                HospitalCode = hospital.Code,
                HomeRegion = home.Value,
                TreatmentRegion = hospital.Region.Value,
                MemberId = dto.Member.MemberId!,
                FiledOn = filedOn,
                SentAt = now,
            }),
        };

        var wait = SettlementWaiter.RequestedWait(request);
        var listening = wait > TimeSpan.Zero ? signals.Listen(filingId) : null; // before the dispatch: the answer cannot come first
        var (created, stored) = await filings.CreateAsync(record, ct).ConfigureAwait(false);
        if (!created && stored.RequestHash != record.RequestHash)
        {
            if (listening is not null) signals.Forget(filingId, listening);
            return ProblemTypes.FilingConflict(
                $"Filing id '{dto.HospitalFilingId}' was first used on {stored.SubmittedAt:O} with a different body; use a new id for a new filing.", Location(stored)).ToResult();
        }
        if (created) await dispatcher.DispatchAsync(stored, ct).ConfigureAwait(false);
        else stored = await RedispatchIfDueAsync(stored, ct).ConfigureAwait(false);
        if (wait > TimeSpan.Zero) stored = await WaitAsync(stored, wait, listening, ct).ConfigureAwait(false);
        return Respond(request, stored, submission: true);
    }

    public async Task<IResult> GetAsync(HttpRequest request, string id, CancellationToken ct)
    {
        var (hospital, authProblem) = await auth.AuthenticateAsync(request, [], ct).ConfigureAwait(false);
        if (authProblem is not null) return authProblem.ToResult();
        // The hospital's own id, or the gateway's filing id (hospitalCode~id) of one of its own filings.
        var own = id.StartsWith(hospital!.Code + "~", StringComparison.Ordinal) ? id[(hospital.Code.Length + 1)..] : id;
        var stored = Keys.IsValidId(own) ? await filings.GetAsync(hospital.Code, own, ct).ConfigureAwait(false) : null;
        if (stored is null) return ProblemTypes.NotFound("No filing of your hospital has this id.").ToResult();
        stored = await RedispatchIfDueAsync(stored, ct).ConfigureAwait(false);
        var wait = SettlementWaiter.RequestedWait(request);
        if (wait > TimeSpan.Zero) stored = await WaitAsync(stored, wait, stored.Status == FilingStatus.Pending ? signals.Listen(stored.FilingId) : null, ct).ConfigureAwait(false);
        return Respond(request, stored, submission: false);
    }

    private static List<FieldError> Validate(FilingRequest dto)
    {
        var errors = new List<FieldError>();
        if (!Keys.IsValidId(dto.HospitalFilingId)) errors.Add(new("/hospitalFilingId", "Required: 1–64 characters of [A-Za-z0-9_-]."));
        if (dto.Member is null) errors.Add(new("/member", "Required: {\"homeRegion\", \"memberId\"}."));
        else
        {
            if (!RegionCode.TryParse(dto.Member.HomeRegion, out _)) errors.Add(new("/member/homeRegion", "Required: a six-digit region code."));
            if (!Keys.IsValidId(dto.Member.MemberId)) errors.Add(new("/member/memberId", "Required: 1–64 characters of [A-Za-z0-9_-]."));
        }
        return errors;
    }

    /// <summary>A filing still pending after <see cref="HandlerSettings.RedispatchAfter"/> is sent again (the dispatch or its answer may have been lost).</summary>
    private async Task<FilingRecord> RedispatchIfDueAsync(FilingRecord stored, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (stored.Status != FilingStatus.Pending || now - stored.DispatchedAt < settings.RedispatchAfter) return stored;
        var claimed = await filings.UpdateAsync(stored.HospitalCode, stored.HospitalFilingId,
            c => c.Status == FilingStatus.Pending && now - c.DispatchedAt >= settings.RedispatchAfter ? c with { DispatchedAt = now } : null, ct).ConfigureAwait(false) ?? stored;
        // Sent by whoever moved DispatchedAt (one send per interval, whatever the number of polls).
        if (claimed.Status == FilingStatus.Pending && claimed.DispatchedAt == now) await dispatcher.DispatchAsync(claimed, ct).ConfigureAwait(false);
        return claimed;
    }

    private async Task<FilingRecord> WaitAsync(FilingRecord record, TimeSpan wait, Task<FilingRecord>? listening, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + wait;
        try
        {
            while (record.Status == FilingStatus.Pending)
            {
                var left = deadline - clock.GetUtcNow();
                if (left <= TimeSpan.Zero) break;
                var slice = left < PollInterval ? left : PollInterval;
                if (listening is not null)
                {
                    var done = await Task.WhenAny(listening, Task.Delay(slice, ct)).ConfigureAwait(false);
                    if (done == listening) return await listening.ConfigureAwait(false);
                }
                else await Task.Delay(slice, ct).ConfigureAwait(false);
                // The answer may have been recorded by another instance: read the row.
                record = await filings.GetAsync(record.HospitalCode, record.HospitalFilingId, ct).ConfigureAwait(false) ?? record;
            }
            return record;
        }
        finally
        {
            if (listening is not null) signals.Forget(record.FilingId, listening);
        }
    }

    private static string Location(FilingRecord r) => $"/api/v1/filings/{r.HospitalFilingId}";

    /// <summary>Submission: 201 filed, 202 pending, 422 refused. Status resource (GET): 200 in every state.</summary>
    private static IResult Respond(HttpRequest request, FilingRecord record, bool submission)
    {
        var location = Location(record);
        request.HttpContext.Response.Headers.Location = location;
        if (record.Status == FilingStatus.Pending) request.HttpContext.Response.Headers.RetryAfter = "1";
        if (!submission) return GatewayResults.Json(FilingView.From(record));
        return record.Status switch
        {
            FilingStatus.Filed => GatewayResults.Json(FilingView.From(record), 201),
            FilingStatus.Refused => ProblemTypes.FilingRefused(record.RefusalCode, record.RefusalDetail, location).ToResult(),
            _ => GatewayResults.Json(FilingView.From(record), 202),
        };
    }
}

/// <summary>The filing status resource (GET /api/v1/filings/{id}).</summary>
public sealed record FilingView
{
    public required string FilingId { get; init; }
    public required string HospitalFilingId { get; init; }
    /// <summary><c>pending</c>, <c>filed</c> or <c>refused</c>.</summary>
    public required string Status { get; init; }
    public required string HomeRegion { get; init; }
    public required string MemberId { get; init; }
    /// <summary>The hospital's region: the treatment region the filing is for.</summary>
    public required string TreatmentRegion { get; init; }
    public required DateOnly FiledOn { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public DateOnly? ValidFrom { get; init; }
    public DateOnly? ValidTo { get; init; }
    public RejectionDto? Refusal { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }

    public static FilingView From(FilingRecord r) => new()
    {
        FilingId = r.FilingId,
        HospitalFilingId = r.HospitalFilingId,
        Status = r.Status,
        HomeRegion = r.HomeRegion,
        MemberId = r.MemberId,
        TreatmentRegion = r.TreatmentRegion,
        FiledOn = r.FiledOn,
        SubmittedAt = r.SubmittedAt,
        ValidFrom = r.ValidFrom,
        ValidTo = r.ValidTo,
        Refusal = r.RefusalCode is null ? null : new RejectionDto(r.RefusalCode, r.RefusalDetail ?? ""),
        DecidedAt = r.DecidedAt,
    };
}
