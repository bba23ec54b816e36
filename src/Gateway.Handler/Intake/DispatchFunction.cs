using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Hosting;
using Newtonsoft.Json.Linq;

namespace Gateway.Handler.Intake;

/// <summary>
/// Function Dispatch (HTTP POST internal/dispatch, function key): puts an evaluation request on its home
/// region's queue through the output binding <c>evalRequest{region}</c>.
/// </summary>
public static class DispatchFunction
{
    public static string OutputBinding(string region) => "evalRequest" + region;

    public static InvocationResult Handle(InvocationRequest invocation, RulePackSet packs)
    {
        var result = new InvocationResult();
        var body = invocation.Data["req"]?["Body"];
        var text = body is null ? "" : body.Type == JTokenType.String ? (string)body! : body.ToString(Newtonsoft.Json.Formatting.None);
        EvaluationRequestMessage message;
        try
        {
            message = GatewayJson.Deserialize<EvaluationRequestMessage>(text);
        }
        catch (Newtonsoft.Json.JsonException)
        {
            result.Outputs["res"] = new { statusCode = 400, body = "not an evaluation request message" };
            return result;
        }
        if (!RegionCode.TryParse(message.HomeRegion, out var home) || !packs.Knows(home))
        {
            result.Outputs["res"] = new { statusCode = 422, body = "unknown home region" };
            return result;
        }
        result.Outputs[OutputBinding(home.Value)] = text;
        result.Outputs["res"] = new { statusCode = 202, body = "" };
        result.Logs.Add($"dispatched {message.Kind} {message.SettlementId} to eval-requests-{home}");
        return result;
    }
}
