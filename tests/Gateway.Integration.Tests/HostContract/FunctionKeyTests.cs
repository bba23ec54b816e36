using Gateway.LocalHost;
using Microsoft.AspNetCore.Http;

namespace Gateway.Integration.Tests.HostContract;

/// <summary>The local host checks keys as the Functions host does (AuthenticationLevelHandler): header first, then ?code=.</summary>
public sealed class FunctionKeyTests
{
    private static HttpRequest Request(string? header = null, string? code = null)
    {
        var c = new DefaultHttpContext();
        if (header is not null) c.Request.Headers["x-functions-key"] = header;
        if (code is not null) c.Request.QueryString = new QueryString("?code=" + Uri.EscapeDataString(code));
        return c.Request;
    }

    [Fact]
    public void Function_level_takes_a_function_or_the_master_key_admin_level_only_the_master_key()
    {
        var keys = new FunctionKeys("fn-key", "master-key");
        Assert.True(keys.Allows(AuthLevel.Anonymous, Request()));
        Assert.False(keys.Allows(AuthLevel.Function, Request()));
        Assert.True(keys.Allows(AuthLevel.Function, Request(header: "fn-key")));
        Assert.True(keys.Allows(AuthLevel.Function, Request(code: "fn-key")));
        Assert.True(keys.Allows(AuthLevel.Function, Request(header: "master-key")));
        Assert.False(keys.Allows(AuthLevel.Function, Request(header: "fn-key-")));
        Assert.False(keys.Allows(AuthLevel.Admin, Request(header: "fn-key")));
        Assert.True(keys.Allows(AuthLevel.Admin, Request(code: "master-key")));
        Assert.False(keys.Allows(AuthLevel.Function, Request(header: "wrong", code: "fn-key"))); // the header takes precedence
        Assert.Equal(AuthLevel.Admin, FunctionKeys.Level("system"));
        Assert.Equal(AuthLevel.Function, FunctionKeys.Level("Function"));
    }

    [Fact]
    public void Keys_not_configured_are_random_per_start()
    {
        var a = FunctionKeys.From(new Settings(new Dictionary<string, string>()));
        var b = FunctionKeys.From(new Settings(new Dictionary<string, string>()));
        Assert.NotEqual(a.MasterKey, b.MasterKey);
        Assert.True(a.MasterKey.Length >= 40);
    }
}
