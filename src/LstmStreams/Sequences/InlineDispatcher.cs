using Akka.Configuration;
using Akka.Dispatch;

namespace LstmStreams.Sequences;

/// <summary>
/// Runs an actor's mailbox on the thread that sent it a message (Akka's calling-thread dispatcher, which
/// core Akka.NET does not ship). Sequence actors use it: their only sender under load is the region, which
/// has a thread of its own, so an observation reaches its actor without a thread-pool hand-off per message
/// (100,000 actors with one message each would otherwise schedule one work item per observation). The
/// mailbox still serialises: a message sent while the actor runs elsewhere is queued and run after.
/// </summary>
public sealed class InlineDispatcherConfigurator : MessageDispatcherConfigurator
{
    private readonly InlineDispatcher _dispatcher;

    /// <summary>Created by Akka from the dispatcher's config section.</summary>
    public InlineDispatcherConfigurator(Config config, IDispatcherPrerequisites prerequisites) : base(config, prerequisites) =>
        _dispatcher = new InlineDispatcher(this);

    /// <inheritdoc />
    public override MessageDispatcher Dispatcher() => _dispatcher;

    private sealed class InlineDispatcher(MessageDispatcherConfigurator configurator) : MessageDispatcher(configurator)
    {
        protected override void ExecuteTask(IRunnable run) => run.Run();

        protected override void Shutdown()
        {
        }
    }
}
