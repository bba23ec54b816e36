using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Clearing;

/// <summary>A gateway configured as in Azure: App Service Authentication in front, app roles mapped by ClearingRoles__*.</summary>
public sealed class AppServiceIdentityGatewayHost : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["ClearingIdentity"] = "AppServiceAuthentication",
        ["ClearingRoles__clearing_read"] = "read",
        ["ClearingRoles__clearing_close"] = "close",
        ["ClearingRoles__region_511300_read"] = "read:511300",
        ["ClearingRoles__region_511300_admin"] = "admin:511300",
    });

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>Under App Service Authentication the handler reads X-MS-CLIENT-PRINCIPAL, maps app roles, and ignores Basic.</summary>
public sealed class AppServiceIdentityTests(AppServiceIdentityGatewayHost host) : IClassFixture<AppServiceIdentityGatewayHost>
{
    private GatewayFixture G => host.Gateway;

    /// <summary>The header App Service Authentication sets for an Entra ID user with these app roles.</summary>
    private static string Principal(string name, params string[] roles)
    {
        var claims = new JArray(new JObject { ["typ"] = "name", ["val"] = name }, new JObject { ["typ"] = "http://schemas.microsoft.com/identity/claims/tenantid", ["val"] = "t" });
        foreach (var r in roles) claims.Add(new JObject { ["typ"] = "roles", ["val"] = r });
        var json = new JObject { ["auth_typ"] = "aad", ["claims"] = claims, ["name_typ"] = "name", ["role_typ"] = "roles" };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToString()));
    }

    private async Task<(HttpStatusCode Status, JToken? Body, string? SignIn)> Call(HttpMethod method, string path, string? principal, string? basic = null, string? body = null, string type = "application/json")
    {
        using var r = new HttpRequestMessage(method, path);
        if (principal is not null) r.Headers.TryAddWithoutValidation("X-MS-CLIENT-PRINCIPAL", principal);
        if (basic is not null) r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        if (body is not null) r.Content = new StringContent(body, Encoding.UTF8, type);
        using var response = await G.Http.SendAsync(r);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        var signIn = response.Headers.TryGetValues("X-Clearing-Sign-In", out var v) ? v.First() : null;
        return (response.StatusCode, text.StartsWith('{') || text.StartsWith('[') ? JToken.Parse(text) : null, signIn);
    }

    [Fact]
    public async Task App_roles_map_to_clearing_roles_and_nothing_else_signs_in()
    {
        var (meStatus, me, _) = await Call(HttpMethod.Get, "api/v1/clearing/me", Principal("li.wei@example.org", "clearing_read", "region_511300_read", "unmapped_role"));
        Assert.Equal(HttpStatusCode.OK, meStatus);
        Assert.Equal("li.wei@example.org", (string)me!["name"]!);
        Assert.Equal("read,read:511300", string.Join(",", me["grants"]!.Values<string>().Order()));
        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Get, "api/v1/clearing/periods", Principal("li.wei", "clearing_read"))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(HttpMethod.Post, "api/v1/clearing/periods/2025-01/close", Principal("li.wei", "clearing_read"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Post, "api/v1/clearing/periods/2025-01/close", Principal("zhang.min", "clearing_close"))).Status);

        // A region administrator: who it is, the import of its region, and nothing of the ledger.
        var admin = Principal("admin@nanchong", "region_511300_admin");
        var (adminMe, adminBody, _) = await Call(HttpMethod.Get, "api/v1/clearing/me", admin);
        Assert.Equal((HttpStatusCode.OK, false), (adminMe, (bool)adminBody!["canRead"]!));
        var (read, problem, _) = await Call(HttpMethod.Get, "api/v1/clearing/periods", admin);
        Assert.Equal((HttpStatusCode.Forbidden, "https://gateway.example.org/problems/forbidden"), (read, (string?)problem!["type"]));
        var csv = Gateway.Storage.MemberImport.CsvHeader + "\nAADIMPORT1,511300,resident,false,1981-03-02,7,none,false,0.00,active,,\n";
        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Post, "api/v1/regions/511300/members", admin, body: csv, type: "text/csv")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(HttpMethod.Post, "api/v1/regions/440300/members", admin, body: csv, type: "text/csv")).Status);

        // A principal with no mapped role is signed in but may do nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await Call(HttpMethod.Get, "api/v1/clearing/periods", Principal("guest", "unmapped_role"))).Status);
        // No principal: 401 and where to sign in; the demo Basic users do not work here; a malformed header is a 401, not a 500.
        var (anonymous, anonymousBody, signIn) = await Call(HttpMethod.Get, "api/v1/clearing/periods", null);
        Assert.Equal((HttpStatusCode.Unauthorized, "https://gateway.example.org/problems/unauthenticated"), (anonymous, (string?)anonymousBody!["type"]));
        Assert.StartsWith("/.auth/login/aad", signIn, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Call(HttpMethod.Get, "api/v1/clearing/periods", null, basic: "reader:reader-demo")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Call(HttpMethod.Get, "api/v1/clearing/periods", "not base64 {")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Call(HttpMethod.Get, "api/v1/clearing/periods", Convert.ToBase64String("[1,2]"u8.ToArray()))).Status);
    }
}
