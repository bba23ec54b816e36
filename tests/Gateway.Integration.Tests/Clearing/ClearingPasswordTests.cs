using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Gateway.Handler.Clearing;
using Gateway.TestSupport;
using Microsoft.Extensions.Configuration;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Clearing;

/// <summary>Clearing passwords are held as salted PBKDF2 hashes; legacy unsalted SHA-256 ones stop the handler at start.</summary>
public sealed class ClearingPasswordTests
{
    private static readonly string Data = Path.Combine(RepoPaths.Root, "data");

    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void The_demo_users_are_salted_pbkdf2_hashes_of_the_documented_passwords()
    {
        var file = JObject.Parse(File.ReadAllText(Path.Combine(Data, "demo", "clearing-users.json")));
        var salts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, user) in file)
        {
            var hash = (string)user!["passwordHash"]!;
            Assert.Null(user["passwordSha256"]);
            Assert.Matches(@"^pbkdf2-sha256\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$", hash);
            Assert.True(PasswordHash.TryParse(hash, out var parsed, out var problem), problem);
            Assert.True(parsed!.Iterations >= 100_000 && parsed.Salt.Length >= 16, name);
            Assert.True(salts.Add(Convert.ToBase64String(parsed.Salt)), $"{name}: salt reused");
            Assert.True(PasswordHash.Verify(name + "-demo", parsed), $"{name}: not {name}-demo");
            Assert.False(PasswordHash.Verify(name + "-Demo", parsed));
        }
        Assert.Equal(8, salts.Count);
        var users = new ClearingUsers(Data, Settings(), demo: true);
        Assert.Equal(("read", (string?)null), (users.Verify("reader", "reader-demo")!.Grants[0].Role, users.Verify("reader", "reader-demo")!.Grants[0].Region));
        Assert.Equal("admin:511300", users.Verify("nanchong-admin", "nanchong-admin-demo")!.Grants[0].ToString());
        Assert.Null(users.Verify("reader", "closer-demo"));
        Assert.Null(users.Verify("nobody", "reader-demo"));
    }

    [Fact]
    public void A_production_user_setting_takes_a_hash_made_like_hash_password()
    {
        var hash = PasswordHash.Create("s3cret, with: colons");
        var users = new ClearingUsers(Data, Settings(("ClearingUsers:auditor", $"{hash}:read:440300")), demo: false);
        Assert.Equal("read:440300", users.Verify("auditor", "s3cret, with: colons")!.Grants.Single().ToString());
        Assert.Null(users.Verify("auditor", "s3cret"));
        // Same password, new salt: a different hash each time.
        Assert.NotEqual(hash, PasswordHash.Create("s3cret, with: colons"));
    }

    [Fact]
    public void A_legacy_unsalted_sha256_hash_is_refused_at_start_naming_the_user()
    {
        var legacy = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("closer-demo"))).ToLowerInvariant();
        var e = Assert.Throws<InvalidOperationException>(() => new ClearingUsers(Data, Settings(("ClearingUsers:old-closer", $"{legacy}:close")), demo: false));
        Assert.Contains("'old-closer'", e.Message, StringComparison.Ordinal);
        Assert.Contains("unsalted SHA-256", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(legacy, e.Message, StringComparison.Ordinal);
        // Too few iterations, a short salt, or another scheme are refused the same way.
        foreach (var weak in new[] { "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$" + Convert.ToBase64String(new byte[32]), "pbkdf2-sha256$100000$AAAA$" + Convert.ToBase64String(new byte[32]), "bcrypt$x" })
            Assert.Throws<InvalidOperationException>(() => new ClearingUsers(Data, Settings(("ClearingUsers:weak", $"{weak}:read")), demo: false));
    }

    [Fact]
    public void A_verified_credential_is_cached_briefly_and_a_wrong_one_never_is()
    {
        var users = new ClearingUsers(Data, Settings(), demo: true);
        var first = Stopwatch.StartNew();
        Assert.NotNull(users.Verify("closer", "closer-demo"));
        first.Stop();
        var cached = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++) Assert.NotNull(users.Verify("closer", "closer-demo"));
        cached.Stop();
        var wrong = Stopwatch.StartNew();
        Assert.Null(users.Verify("closer", "closer-demo "));
        wrong.Stop();
        // One PBKDF2 (100,000 iterations) takes tens of milliseconds; 100 cached checks take less than one.
        Assert.True(cached.Elapsed < first.Elapsed, $"first {first.Elapsed.TotalMilliseconds} ms, 100 cached {cached.Elapsed.TotalMilliseconds} ms");
        Assert.True(wrong.Elapsed > cached.Elapsed / 100 * 10, $"a wrong password was answered in {wrong.Elapsed.TotalMilliseconds} ms: cached?");
        Console.WriteLine($"PBKDF2 verify: first {first.Elapsed.TotalMilliseconds:0.0} ms, wrong {wrong.Elapsed.TotalMilliseconds:0.0} ms, cached {cached.Elapsed.TotalMilliseconds / 100:0.000} ms each");
        var off = new ClearingUsers(Data, Settings(("ClearingVerificationCacheSeconds", "0")), demo: true);
        Assert.Equal(TimeSpan.Zero, off.CacheFor);
    }
}
