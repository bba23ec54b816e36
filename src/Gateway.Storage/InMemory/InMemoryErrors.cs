using System.Globalization;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Data.Tables;

namespace Gateway.Storage.InMemory;

/// <summary>A request the store refused: the service's status, error code and message.</summary>
internal sealed class StoreException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    public static StoreException TableNotFound() => new(404, "TableNotFound", "The table specified does not exist.");
    public static StoreException TableAlreadyExists() => new(409, "TableAlreadyExists", "The table specified already exists.");
    public static StoreException EntityNotFound() => new(404, "ResourceNotFound", "The specified resource does not exist.");
    public static StoreException EntityAlreadyExists() => new(409, "EntityAlreadyExists", "The specified entity already exists.");
    public static StoreException ConditionNotSatisfied() => new(412, "UpdateConditionNotSatisfied", "The update condition specified in the request was not satisfied.");
    public static StoreException InvalidInput(string message = "An error occurred while processing this request.") => new(400, "InvalidInput", message);
    public static StoreException InvalidOperation() => new(400, "InvalidOperation", "");
    public static StoreException PropertyValueTooLarge() => new(400, "PropertyValueTooLarge",
        "The property value exceeds the maximum allowed size (64KB). If the property value is a string, it is UTF-16 encoded and the maximum number of characters should be 32K or less.");
    public static StoreException EntityTooLarge() => new(400, "EntityTooLarge", "The entity is larger than the maximum allowed size (1MB).");
    public static StoreException TooManyProperties() => new(400, "TooManyProperties", "The entity contains more properties than allowed.");
    public static StoreException DuplicateRow(string rowKey) => new(400, "InvalidDuplicateRow",
        $"A command with RowKey '{rowKey}' is already present in the batch. An entity can appear only once in a batch. ");
    public static StoreException DifferentPartitions() => new(400, "CommandsInBatchActOnDifferentPartitions", "All commands in a batch must operate on same entity group.");
    public static StoreException TooManyActions() => new(400, "InvalidInput", "The batch request operation exceeds the maximum 100 changes per change set.");
    public static StoreException InvalidResourceName() => new(400, "InvalidResourceName", "The specifed resource name contains invalid characters.");
}

/// <summary>The responses and exceptions the in-memory clients hand out, shaped as the SDK's.</summary>
internal static class InMemoryErrors
{
    /// <summary>Where <see cref="TableTransactionFailedException"/> reads the failed action's index (the SDK's key).</summary>
    public const string FailedEntityKey = "FailedEntity";

    /// <summary>The exception the SDK throws for a failed request: status, error code, message, and the raw response.</summary>
    public static RequestFailedException ToRequestFailed(StoreException e, InMemoryTableStore store) =>
        new(ErrorResponse(e, store, isError: true), null, new Details(e));

    /// <summary>
    /// The service's error answer. <paramref name="isError"/>: whether the SDK classifies it as an error (it throws); the
    /// answers it returns instead (a delete's 404, GetEntityIfExists' 404, CreateIfNotExists' 409) are not errors.
    /// </summary>
    public static Response ErrorResponse(StoreException e, InMemoryTableStore store, bool isError)
    {
        var body = $"{{\"odata.error\":{{\"code\":\"{e.Code}\",\"message\":{{\"lang\":\"en-US\",\"value\":{System.Text.Json.JsonSerializer.Serialize(e.Message)}}}}}}}";
        return InMemoryResponse.Create(store, e.Status, [("x-ms-error-code", e.Code), ("Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8")],
            Encoding.UTF8.GetBytes(body), isError);
    }

    /// <summary>The exception the SDK throws when action <paramref name="index"/> of a transaction fails.</summary>
    public static TableTransactionFailedException ToTransactionFailed(StoreException e, int index)
    {
        var inner = new RequestFailedException(e.Status, $"{index}:{e.Message}", e.Code, null);
        inner.Data[FailedEntityKey] = index.ToString(CultureInfo.InvariantCulture);
        return new TableTransactionFailedException(inner);
    }

    private sealed class Details(StoreException e) : RequestFailedDetailsParser
    {
        public override bool TryParse(Response response, out ResponseError? error, out IDictionary<string, string>? data)
        {
            error = new ResponseError(e.Code, e.Message);
            data = null;
            return true;
        }
    }
}

/// <summary>A service answer: status, headers, body.</summary>
internal sealed class InMemoryResponse : Response
{
    private readonly List<(string Name, string Value)> _headers;
    private readonly int _status;

    private readonly bool _isError;

    private InMemoryResponse(int status, List<(string, string)> headers, byte[]? content, bool isError)
    {
        _status = status;
        _isError = isError;
        _headers = headers;
        ContentStream = content is null ? null : new MemoryStream(content, writable: false);
    }

    public static InMemoryResponse Create(InMemoryTableStore store, int status, IEnumerable<(string Name, string Value)> headers, byte[]? content = null, bool isError = false)
    {
        var all = new List<(string, string)>
        {
            ("x-ms-request-id", store.NextRequestId()),
            ("x-ms-version", "2019-02-02"),
            ("Date", store.Clock.GetUtcNow().ToString("R", CultureInfo.InvariantCulture)),
        };
        all.AddRange(headers);
        return new InMemoryResponse(status, all, content, isError);
    }

    public override int Status => _status;

    public override string ReasonPhrase => _status switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        _ => "",
    };

    public override bool IsError => _isError;

    public override Stream? ContentStream { get; set; }

    public override string ClientRequestId { get; set; } = "";

    public override void Dispose() => ContentStream?.Dispose();

    protected override bool ContainsHeader(string name) => _headers.Exists(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Select(h => new HttpHeader(h.Name, h.Value));

    protected override bool TryGetHeader(string name, out string value)
    {
        foreach (var h in _headers)
        {
            if (!h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
            value = h.Value;
            return true;
        }
        value = "";
        return false;
    }

    protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
    {
        var found = _headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
        values = found;
        return found.Count > 0;
    }
}

/// <summary>What <c>GetEntityIfExists</c> answers for a missing entity: no value, the 404 response.</summary>
internal sealed class NoValueResponse<T>(Response response) : NullableResponse<T>
{
    public override bool HasValue => false;
    public override T Value => throw new InvalidOperationException("The response does not contain a value.");
    public override Response GetRawResponse() => response;
}

/// <summary>Query results page by page, each page fetched when it is reached (one round-trip each), as the SDK's pageable.</summary>
internal sealed class InMemoryAsyncPageable<T>(Func<string?, int?, CancellationToken, ValueTask<Page<T>>> fetch, int? maxPerPage, CancellationToken ct)
    : AsyncPageable<T>(ct) where T : notnull
{
    public override async IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
    {
        var size = pageSizeHint ?? maxPerPage;
        do
        {
            var page = await fetch(continuationToken, size, CancellationToken).ConfigureAwait(false);
            yield return page;
            continuationToken = page.ContinuationToken;
        } while (!string.IsNullOrEmpty(continuationToken));
    }
}

/// <inheritdoc cref="InMemoryAsyncPageable{T}"/>
internal sealed class InMemoryPageable<T>(Func<string?, int?, CancellationToken, ValueTask<Page<T>>> fetch, int? maxPerPage, CancellationToken ct)
    : Pageable<T>(ct) where T : notnull
{
    public override IEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
    {
        var size = pageSizeHint ?? maxPerPage;
        do
        {
            var page = fetch(continuationToken, size, CancellationToken).AsTask().GetAwaiter().GetResult();
            yield return page;
            continuationToken = page.ContinuationToken;
        } while (!string.IsNullOrEmpty(continuationToken));
    }
}
