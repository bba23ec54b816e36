namespace Gateway.Contracts;

/// <summary>
/// gateway → home region (queue <c>eval-requests-{homeRegion}</c>, beside the evaluation requests), schema
/// schemas/filing-request.v1.json: a hospital's online filing (秒备案, spec §9.5) for its own treatment region. Told apart
/// from an <see cref="EvaluationRequestMessage"/> on the same queue by <c>kind</c> = <c>file</c> (also the message's
/// <c>Subject</c> and its application property <c>kind</c>). The home region answers with a <see cref="FilingReplyMessage"/>.
/// </summary>
public sealed record FilingRequestMessage
{
    public const int CurrentSchemaVersion = 1;
    public const string FileKind = "file";

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public string Kind { get; init; } = FileKind;
    public required string CorrelationId { get; init; }
    /// <summary>hospitalCode~hospitalFilingId: the idempotency key.</summary>
    public required string FilingId { get; init; }
    public required string HospitalCode { get; init; }
    public required string HomeRegion { get; init; }
    /// <summary>The hospital's region: the treatment region the filing is for.</summary>
    public required string TreatmentRegion { get; init; }
    public required string MemberId { get; init; }
    /// <summary>The day the hospital filed (China time): the first day the filing is valid.</summary>
    public required DateOnly FiledOn { get; init; }
    public required DateTimeOffset SentAt { get; init; }

    /// <summary>
    /// Whether a body on <c>eval-requests-*</c> is a filing request: its top-level <c>kind</c> is <c>file</c>. Reads the
    /// top level only, up to <c>kind</c> (an evaluation request, up to 2,000 lines, is not parsed whole for this).
    /// </summary>
    public static bool IsFiling(string json)
    {
        try
        {
            using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(json)) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None, MaxDepth = 64 };
            if (!reader.Read() || reader.TokenType != Newtonsoft.Json.JsonToken.StartObject) return false;
            while (reader.Read() && reader.TokenType == Newtonsoft.Json.JsonToken.PropertyName)
            {
                var name = (string)reader.Value!;
                if (!reader.Read()) return false;
                if (name == "kind") return reader.TokenType == Newtonsoft.Json.JsonToken.String && (string)reader.Value! == FileKind;
                reader.Skip();
            }
            return false;
        }
        catch (Newtonsoft.Json.JsonReaderException)
        {
            return false; // not JSON: the evaluation path refuses it as before
        }
    }
}

/// <summary>
/// home region → gateway (queue <c>filing-replies</c>), schema schemas/filing-reply.v1.json: <c>outcome</c> <c>filed</c>
/// (with the <c>filing</c> as recorded) or <c>refused</c> (with a typed <c>refusal</c>: <c>unknown-member</c>,
/// <c>coverage-suspended</c>, <c>online-filing-not-allowed</c>, <c>not-cross-region</c>, <c>rule-pack-missing</c>).
/// </summary>
public sealed record FilingReplyMessage
{
    public const string Filed = "filed";
    public const string Refused = "refused";

    public int SchemaVersion { get; init; } = FilingRequestMessage.CurrentSchemaVersion;
    public required string Outcome { get; init; }
    public required string CorrelationId { get; init; }
    public required string FilingId { get; init; }
    public required string HospitalCode { get; init; }
    public required string HomeRegion { get; init; }
    public required string TreatmentRegion { get; init; }
    public required string MemberId { get; init; }
    public FilingValidityDto? Filing { get; init; }
    public RejectionDto? Refusal { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
}

/// <summary>A recorded filing: the treatment region it is for and its validity, inclusive.</summary>
public sealed record FilingValidityDto(string TreatmentRegion, DateOnly ValidFrom, DateOnly ValidTo);
