namespace Gateway.Handler.Hosting;

/// <summary>
/// What a failure is called where a hospital or an operator can read it (a settlement's failure reason, an invocation's
/// logs): the kind of failure, never a .NET type, an exception message or a storage request id. The log has the rest.
/// </summary>
public static class FailureText
{
    public static string Describe(Exception e) => e switch
    {
        Azure.RequestFailedException r when r.Status is 0 or 408 or >= 500 => "storage did not answer",
        Azure.RequestFailedException r => $"storage refused a write (HTTP {r.Status})",
        Azure.Messaging.ServiceBus.ServiceBusException => "the message broker did not answer",
        Gateway.Messaging.MessageRejectedException => "the message broker refused a message",
        InvalidDataException or Newtonsoft.Json.JsonException or InvocationContractException => "a message that could not be read",
        TaskCanceledException or TimeoutException => "timed out",
        HttpRequestException => "a remote call failed",
        _ => "the function failed",
    };
}
