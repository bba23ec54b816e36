using System.Net;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests;

/// <summary>Liveness and readiness (AddHealthChecks): up or down and nothing else, unauthenticated; the figures are on diagnostics.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HealthTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;

    [Theory]
    [InlineData("api/v1/health")]
    [InlineData("api/v1/health/live")]
    public async Task Health_answers_up_and_nothing_else(string route)
    {
        using var r = await G.Http.GetAsync(route);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        var json = JObject.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("up", (string?)json["status"]);
        Assert.Single(json.Properties());
    }

    [Fact]
    public async Task The_storage_figures_need_a_clearing_credential()
    {
        using var r = await G.Http.GetAsync("api/v1/diagnostics");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }
}
