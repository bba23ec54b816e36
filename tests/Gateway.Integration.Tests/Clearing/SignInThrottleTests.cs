using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Clearing;

/// <summary>A gateway of its own with a short sign-in window (the limits are the defaults: 5 per user, 20 per address).</summary>
public sealed class SignInThrottleGatewayHost : IAsyncLifetime
{
    public const int WindowSeconds = 20;

    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["ClearingSignInWindowSeconds"] = WindowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>Failed clearing sign-ins are limited per user and per client address (429 too-many-sign-in-attempts, Retry-After).</summary>
public sealed class SignInThrottleTests(SignInThrottleGatewayHost host) : IClassFixture<SignInThrottleGatewayHost>
{
    private GatewayFixture G => host.Gateway;

    private async Task<(HttpStatusCode Status, string? Type, TimeSpan? RetryAfter)> SignInAsync(string user, string password, string address, string path = "api/v1/clearing/me")
    {
        using var r = new HttpRequestMessage(HttpMethod.Get, path);
        r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        r.Headers.TryAddWithoutValidation("X-Forwarded-For", address);
        using var response = await G.Http.SendAsync(r);
        var text = await response.Content.ReadAsStringAsync();
        string? type = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            type = ((string)JObject.Parse(text)["type"]!).Replace("https://gateway.example.org/problems/", "", StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
        return (response.StatusCode, type, response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Sixty_wrong_passwords_then_the_right_one_ends_in_429_and_others_still_sign_in()
    {
        const string attacker = "203.0.113.7";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
        {
            var (status, type, retryAfter) = await SignInAsync("reader", $"guess-{i}", attacker);
            statuses.Add(status);
            if (status == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("too-many-sign-in-attempts", type);
                Assert.NotNull(retryAfter);
                Assert.InRange(retryAfter!.Value.TotalSeconds, 1, SignInThrottleGatewayHost.WindowSeconds);
            }
            else Assert.Equal((HttpStatusCode.Unauthorized, "unauthenticated"), (status, type));
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), statuses.Take(5));
        Assert.All(statuses.Skip(5), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        // The right password is refused too, from the attacker's address and from anywhere else, until the window passes.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync("reader", "reader-demo", attacker)).Status);
        var (elsewhere, _, wait) = await SignInAsync("reader", "reader-demo", "198.51.100.20");
        Assert.Equal(HttpStatusCode.TooManyRequests, elsewhere);
        // Another user from another address signs in; reads work for them.
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("closer", "closer-demo", "198.51.100.9")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("closer", "closer-demo", "198.51.100.9", "api/v1/clearing/periods")).Status);
        // Once the window has passed, the user signs in again.
        await Task.Delay(wait!.Value + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("reader", "reader-demo", "198.51.100.20")).Status);
    }

    [Fact]
    public async Task An_address_guessing_across_users_is_limited_and_its_own_success_does_not_reset_it()
    {
        const string attacker = "203.0.113.99";
        // 19 failures spread over names (4 per known user at most, so no user is locked), then a success of the attacker's
        // own valid account from the same address: the address's counter is not reset by it.
        var names = new[] { "nanchong", "xiamen-admin", "dongguan-admin", "nobody-1", "nobody-2" };
        for (var i = 0; i < 19; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(names[i % names.Length], "wrong", attacker)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("shenzhen", "shenzhen-demo", attacker)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync("nobody-3", "wrong", attacker)).Status); // the 20th
        var (status, type, retryAfter) = await SignInAsync("shenzhen", "shenzhen-demo", attacker);
        Assert.Equal((HttpStatusCode.TooManyRequests, "too-many-sign-in-attempts"), (status, type));
        Assert.NotNull(retryAfter);
        // The users it tried are not locked for their owners elsewhere (4 failures each), and other addresses are unaffected.
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("nanchong", "nanchong-demo", "198.51.100.30")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("shenzhen", "shenzhen-demo", "198.51.100.31")).Status);
    }
}
