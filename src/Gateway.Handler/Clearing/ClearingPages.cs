namespace Gateway.Handler.Clearing;

/// <summary>
/// The clearing pages (function ClearingPages): static files shipped with the handler (clearing/), served at
/// /api/clearing/. No build server and nothing from the internet at run time; the pages call the clearing APIs.
/// </summary>
public static class ClearingPages
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    public static void Map(WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "clearing");
        app.MapGet("/api/clearing/{*path}", (HttpRequest request, string? path) =>
        {
            // The pages use relative URLs: the folder needs its trailing slash.
            if (string.IsNullOrEmpty(path) && !request.Path.Value!.EndsWith('/')) return Results.Redirect("/api/clearing/");
            var relative = string.IsNullOrEmpty(path) ? "index.html" : path;
            var full = Path.GetFullPath(Path.Combine(root, relative));
            if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(full))
                return ProblemTypes.NotFound($"No page '{relative}'.").ToResult();
            var type = Types.GetValueOrDefault(Path.GetExtension(full), "application/octet-stream");
            return Results.File(full, type);
        });
    }
}
