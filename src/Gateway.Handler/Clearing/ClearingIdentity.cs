using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Gateway.Handler.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Clearing;

/// <summary>Where clearing identities come from: <c>ClearingIdentity</c> = <c>Local</c> (default) or <c>AppServiceAuthentication</c>.</summary>
public enum ClearingIdentityMode
{
    /// <summary>HTTP Basic against <see cref="ClearingUsers"/> (demo users, <c>ClearingUsers__*</c>); X-MS-CLIENT-PRINCIPAL is ignored.</summary>
    Local,
    /// <summary>App Service Authentication (Microsoft Entra ID) in front: X-MS-CLIENT-PRINCIPAL, app roles mapped by <c>ClearingRoles__*</c>; Basic is ignored.</summary>
    AppServiceAuthentication,
}

/// <summary>The identity settings: the mode and the app-role map <c>ClearingRoles__&lt;appRole&gt;</c> = <c>read|close|admin[:region]</c>.</summary>
public sealed class ClearingIdentityOptions
{
    public required ClearingIdentityMode Mode { get; init; }
    public required IReadOnlyDictionary<string, ClearingGrant> Roles { get; init; }

    public static ClearingIdentityOptions From(IConfiguration c)
    {
        var text = c["ClearingIdentity"];
        var mode = string.IsNullOrWhiteSpace(text) ? ClearingIdentityMode.Local
            : Enum.TryParse<ClearingIdentityMode>(text.Trim(), ignoreCase: true, out var m) && Enum.IsDefined(m) ? m
            : throw new InvalidOperationException($"ClearingIdentity must be Local or AppServiceAuthentication, not '{text}'.");
        var roles = new Dictionary<string, ClearingGrant>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in c.GetSection("ClearingRoles").GetChildren())
        {
            roles[child.Key] = ClearingGrant.Parse(child.Value ?? "")
                ?? throw new InvalidOperationException($"Setting ClearingRoles__{child.Key}: '{child.Value}' is not read, close or admin, optionally :<six-digit region> (admin needs one).");
        }
        return new ClearingIdentityOptions { Mode = mode, Roles = roles };
    }
}

/// <summary>The authorization policies of the clearing routes and the member import.</summary>
public static class ClearingPolicies
{
    /// <summary>Any clearing identity (GET /me: a region administrator may see who it is).</summary>
    public const string SignedIn = "clearing-signed-in";
    /// <summary>Role read or close: every read under /api/v1/clearing.</summary>
    public const string Read = "clearing-read";
    /// <summary>Role close: closing a period.</summary>
    public const string Close = "clearing-close";
    /// <summary>A region user of the route's {home} or {treatment} region (the side it answers for is checked against the body).</summary>
    public const string Respond = "clearing-respond";
    /// <summary>A region user of the route's {home} region: the review of its flagged settlements (spec §10.3).</summary>
    public const string Review = "clearing-review";
    /// <summary>The administrator of the route's {region}: the member import.</summary>
    public const string ImportMembers = "members-import";

    public static void Add(AuthorizationOptions o)
    {
        AuthorizationPolicy Policy(Func<ClearingUser, HttpContext?, bool> allowed) => new AuthorizationPolicyBuilder(ClearingAuthentication.Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => allowed(ClearingUser.From(ctx.User), ctx.Resource as HttpContext))
            .Build();
        static string Route(HttpContext? h, string name) => h?.GetRouteValue(name)?.ToString() ?? "";
        o.AddPolicy(SignedIn, Policy((_, _) => true));
        o.AddPolicy(Read, Policy((u, _) => u.CanRead));
        o.AddPolicy(Close, Policy((u, _) => u.CanClose));
        o.AddPolicy(Respond, Policy((u, h) => u.CanRespondFor(Route(h, "home")) || u.CanRespondFor(Route(h, "treatment"))));
        o.AddPolicy(Review, Policy((u, h) => u.CanRespondFor(Route(h, "home"))));
        o.AddPolicy(ImportMembers, Policy((u, h) => u.CanImportFor(Route(h, "region"))));
        // Anything else asks for a policy by name: no endpoint is authorized by default.
        o.FallbackPolicy = null;
    }
}

/// <summary>Registration: services.AddClearingIdentity(...) and app.UseClearingIdentity() in Program.</summary>
public static class ClearingAuthentication
{
    public const string Scheme = "Clearing";
    internal const string RetryAfterItem = "clearing-sign-in-retry-after";

    public static IServiceCollection AddClearingIdentity(this IServiceCollection services, IConfiguration configuration, string dataDirectory, bool demo)
    {
        // Built now, so a refused password hash or a bad role map stops the handler at start with a message naming it.
        services.AddSingleton(new ClearingUsers(dataDirectory, configuration, demo));
        services.AddSingleton(ClearingIdentityOptions.From(configuration));
        services.AddSingleton(sp => new SignInThrottle(SignInLimits.From(configuration), sp.GetRequiredService<TimeProvider>()));
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ClearingAuthenticationHandler>(Scheme, null);
        services.AddAuthorization(ClearingPolicies.Add);
        return services;
    }

    public static WebApplication UseClearingIdentity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The signed-in clearing identity of a request that passed one of <see cref="ClearingPolicies"/>.</summary>
    public static ClearingUser ClearingUser(this HttpContext context) => Clearing.ClearingUser.From(context.User);
}

/// <summary>
/// The authentication scheme of the clearing routes. Local: HTTP Basic, checked against <see cref="ClearingUsers"/> behind
/// <see cref="SignInThrottle"/>. AppServiceAuthentication: the X-MS-CLIENT-PRINCIPAL header App Service Authentication sets
/// (and strips from what clients send), its app roles mapped to grants. Each mode ignores the other's credential.
/// Answers are problem+json: 401 unauthenticated, 403 forbidden, 429 too-many-sign-in-attempts with Retry-After.
/// </summary>
public sealed class ClearingAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ClearingUsers users, ClearingIdentityOptions identity, SignInThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const int MaxPrincipalBytes = 32 * 1024;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        // Only the routes that ask for a clearing policy read a clearing credential (the only scheme is also the default one,
        // so the authentication middleware asks on every request: a hospital's request is none of this handler's business).
        Task.FromResult(Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is null ? AuthenticateResult.NoResult()
            : identity.Mode == ClearingIdentityMode.AppServiceAuthentication ? FromAppService() : FromBasic());

    private AuthenticateResult FromBasic()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())); }
        catch (FormatException) { return AuthenticateResult.Fail("The Basic credential is not base64."); }
        var i = decoded.IndexOf(':');
        if (i <= 0) return AuthenticateResult.Fail("The Basic credential has no user name.");
        var name = decoded[..i];
        var known = users.Exists(name) ? name : null;
        var address = SignInThrottle.ClientAddress(Context);
        if (throttle.RetryAfter(known, address) is { } wait)
        {
            Context.Items[ClearingAuthentication.RetryAfterItem] = wait;
            Logger.LogWarning("Clearing sign-in refused (too many failures) for {User} from {Address}", known ?? "(unknown name)", address);
            return AuthenticateResult.Fail("Too many failed sign-ins.");
        }
        var user = users.Verify(name, decoded[(i + 1)..]);
        if (user is null)
        {
            throttle.Failed(known, address);
            Logger.LogWarning("Clearing sign-in failed for {User} from {Address}", known ?? "(unknown name)", address);
            return AuthenticateResult.Fail("Wrong user name or password.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(user.ToPrincipal("Basic"), Scheme.Name));
    }

    private AuthenticateResult FromAppService()
    {
        var header = Request.Headers["X-MS-CLIENT-PRINCIPAL"].ToString();
        if (header.Length == 0) return AuthenticateResult.NoResult();
        if (header.Length > MaxPrincipalBytes) return AuthenticateResult.Fail("The client principal is too large.");
        JObject principal;
        try { principal = JObject.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(header.Trim()))); }
        catch (Exception e) when (e is FormatException or Newtonsoft.Json.JsonException) { return AuthenticateResult.Fail("The client principal is not base64 JSON."); }
        var claims = (principal["claims"] as JArray ?? []).OfType<JObject>()
            .Select(c => (Type: (string?)c["typ"] ?? "", Value: (string?)c["val"] ?? "")).ToList();
        var nameType = (string?)principal["name_typ"];
        var roleType = (string?)principal["role_typ"];
        var name = claims.FirstOrDefault(c => c.Type == nameType).Value is { Length: > 0 } n ? n
            : claims.FirstOrDefault(c => c.Type is "preferred_username" or "name").Value is { Length: > 0 } m ? m
            : Request.Headers["X-MS-CLIENT-PRINCIPAL-NAME"].ToString();
        if (string.IsNullOrWhiteSpace(name)) return AuthenticateResult.Fail("The client principal has no name.");
        var grants = claims.Where(c => c.Type == "roles" || (roleType is { Length: > 0 } && c.Type == roleType))
            .Select(c => identity.Roles.GetValueOrDefault(c.Value)).OfType<ClearingGrant>().Distinct().ToList();
        return AuthenticateResult.Success(new AuthenticationTicket(new ClearingUser(name, grants).ToPrincipal("AppServiceAuthentication"), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.TryGetValue(ClearingAuthentication.RetryAfterItem, out var item) && item is TimeSpan wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await ProblemTypes.TooManySignInAttempts(seconds).ToResult().ExecuteAsync(Context);
            return;
        }
        string detail;
        if (identity.Mode == ClearingIdentityMode.AppServiceAuthentication)
        {
            // The pages send the browser to App Service Authentication's sign-in.
            Response.Headers["X-Clearing-Sign-In"] = "/.auth/login/aad?post_login_redirect_uri=/api/clearing/";
            detail = "Sign in with Microsoft Entra ID (/.auth/login/aad).";
        }
        else
        {
            // The pages sign in with their own form: no browser credential prompt for their requests.
            if (Request.Headers["X-Requested-With"] != "XMLHttpRequest") Response.Headers.WWWAuthenticate = "Basic realm=\"clearing\", charset=\"UTF-8\"";
            detail = "A clearing-staff credential (HTTP Basic) is required.";
        }
        await ProblemTypes.SignInRequired(detail).ToResult().ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var user = Context.ClearingUser();
        var grants = user.Grants.Count == 0 ? "no clearing role" : string.Join(", ", user.Grants);
        await ProblemTypes.Forbidden($"User {user.Name} ({grants}) may not {Request.Method} {Request.Path}.").ToResult().ExecuteAsync(Context);
    }
}
