using Gateway.Contracts;
using Gateway.Handler.Intake;
using Gateway.Messaging;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Handler.Hosting;

/// <summary>
/// Health checks (AddHealthChecks). Liveness (<c>/api/v1/health/live</c>): the process answers, no check runs. Readiness
/// (<c>/api/v1/health</c>, App Service's health-check path and the load balancers'): storage and the queues answer. Each
/// answers <c>{"status":"up"}</c> (200) or <c>{"status":"down"}</c> (503) and nothing else: unauthenticated, so it names no
/// dependency and no figure (those are on the authenticated diagnostics route).
/// </summary>
public static class GatewayHealthChecks
{
    public const string Ready = "ready";

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services, HandlerSettings settings)
    {
        services.AddSingleton(sp => new HealthProbe(settings.StorageConnection, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<QueueProbe>();
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", tags: [Ready])
            .AddCheck<QueuesHealthCheck>("queues", tags: [Ready]);
        return services;
    }

    public static HealthCheckOptions Liveness { get; } = new() { Predicate = _ => false, ResponseWriter = WriteAsync };

    public static HealthCheckOptions Readiness { get; } = new() { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(GatewayJson.Serialize(new HealthStatus(report.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy ? "down" : "up")));
    }
}

public sealed class StorageHealthCheck(HealthProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await probe.IsUpAsync(ct).ConfigureAwait(false) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("storage did not answer");
}

public sealed class QueuesHealthCheck(QueueProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await probe.IsUpAsync(ct).ConfigureAwait(false) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the queues did not answer");
}

/// <summary>
/// Are the queues reachable: the callback queue answers a peek (Service Bus; its queues are declared in infra/), or the queue service its properties (storage queues) within two
/// seconds. Kept five seconds, like <see cref="HealthProbe"/>.
/// </summary>
public sealed class QueueProbe(HandlerSettings settings, IConfiguration configuration, IServiceProvider services, TimeProvider clock)
{
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _one = new(1, 1);
    private (DateTimeOffset At, bool Up)? _last;

    public async Task<bool> IsUpAsync(CancellationToken ct)
    {
        if (_last is { } l && clock.GetUtcNow() - l.At < Keep) return l.Up;
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_last is { } again && clock.GetUtcNow() - again.At < Keep) return again.Up;
            bool up;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                if (settings.Transport == QueueTransport.ServiceBus)
                {
                    await using var receiver = services.GetRequiredService<Azure.Messaging.ServiceBus.ServiceBusClient>().CreateReceiver(Dispatcher.CallbackQueue);
                    await receiver.PeekMessageAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
                }
                else
                {
                    // The queue service answers (the local host creates the queues; a handler started alone has none yet).
                    var queues = MessagingFactory.StorageQueues(name => configuration[name]);
                    await queues.GetPropertiesAsync(timeout.Token).ConfigureAwait(false);
                }
                up = true;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
            {
                up = false;
            }
            _last = (clock.GetUtcNow(), up);
            return up;
        }
        finally
        {
            _one.Release();
        }
    }
}
