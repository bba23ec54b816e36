using Gateway.Contracts;
using Gateway.Storage;

namespace Gateway.Handler.Reference;

/// <summary>Loads the demo members (data/demo/members.json) into the registry when they are not there yet.</summary>
public static class DemoData
{
    public static async Task LoadAsync(string dataDirectory, MemberStore members, CancellationToken ct)
    {
        var file = Path.Combine(dataDirectory, "demo", "members.json");
        var list = GatewayJson.Deserialize<List<MemberDto>>(await File.ReadAllTextAsync(file, ct));
        foreach (var dto in list)
        {
            var (member, errors) = dto.ToDomain();
            if (member is null) throw new InvalidOperationException($"{file}: member {dto.MemberId}: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Problem}"))}");
            if (await members.GetProfileAsync(member.HomeRegion, member.MemberId, ct) is null) await members.UpsertProfileAsync(member, ct);
        }
    }
}
