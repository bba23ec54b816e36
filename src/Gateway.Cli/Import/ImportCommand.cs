using System.CommandLine;
using Gateway.Domain;
using Gateway.Storage;

namespace Gateway.Cli.Import;

/// <summary><c>gateway import --region 511300 --file members.csv [--storage CONNECTION]</c>: the member registry import, straight to a store.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var region = new Option<string>("--region") { Description = "The home region the file is for.", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "Members as CSV (header: " + MemberImport.CsvHeader + ") or a JSON array.", Required = true };
        var storage = new Option<string>("--storage") { Description = "Table storage connection string (default: $AzureWebJobsStorage)." };
        var command = new Command("import", "Import a home region's member registry (every row validated first; a bad file writes nothing).") { region, file, storage };
        command.SetAction(async (parse, ct) =>
        {
            var connection = parse.GetValue(storage) ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage");
            if (string.IsNullOrEmpty(connection)) { Console.Error.WriteLine("Give --storage or set AzureWebJobsStorage."); return 2; }
            if (!RegionCode.TryParse(parse.GetValue(region), out var code)) { Console.Error.WriteLine("--region: a six-digit region code."); return 2; }
            var info = parse.GetValue(file)!;
            var gateway = new GatewayStorage(connection);
            await gateway.EnsureCreatedAsync(ct);
            using var text = info.OpenText();
            var result = await new MemberImport(new MemberStore(gateway)).ImportAsync(code, text, info.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase), ct);
            foreach (var e in result.Errors) Console.Error.WriteLine($"{info.Name}:{e.Line}: {e.Field}: {e.Problem}");
            Console.WriteLine(result.Ok ? $"imported {result.Imported} members into {code}" : $"nothing imported: {result.Errors.Count} problem(s)");
            return result.Ok ? 0 : 1;
        });
        return command;
    }
}
