using System.Net;
using Gateway.TestSupport;

namespace Gateway.Integration.Tests;

/// <summary>
/// Storage that stops answering is the client's cue to retry, not a gateway bug: 503 service-unavailable with
/// Retry-After (the settlement id makes the retry safe), never a 500 and never a stack trace.
/// </summary>
public sealed class StorageDownTests
{
    [Fact]
    public async Task A_submission_while_storage_is_down_is_a_503_to_retry_with_the_same_id()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var hospital = gateway.Hospital("H440300001");
        hospital.RetryShedWrites = false; // this test looks at the refusals themselves
        using (var ok = await hospital.SubmitAsync(Requests.SpecA(Requests.NewId("up")), 15))
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);

        gateway.Azurite.Dispose(); // storage goes away under the running gateway

        using var r = await hospital.SubmitAsync(Requests.SpecA(Requests.NewId("down")), 0);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("service-unavailable", (await Requests.ProblemAsync(r)).Type); // problem+json, no stack trace
        Assert.NotNull(r.Headers.RetryAfter);

        // The store just failed to answer: the next write is refused at the door (admission control) instead of being
        // handed to the SDK's retries, and says so; nothing of it is recorded.
        using var shed = await hospital.SubmitAsync(Requests.SpecA(Requests.NewId("shed")), 0);
        var (status, type, body) = await Requests.ProblemAsync(shed);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("service-unavailable", type);
        Assert.Contains("refused until it catches up", (string)body["detail"]!, StringComparison.Ordinal);
        Assert.True(shed.Headers.RetryAfter?.Delta is { } wait && wait >= TimeSpan.FromSeconds(1) && wait <= TimeSpan.FromSeconds(30), $"Retry-After {shed.Headers.RetryAfter}");
    }
}
