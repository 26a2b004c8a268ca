using Akka.Actor.Setup;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Hosting;

/// <summary>
/// What <see cref="SequencePredictor"/> runs in an actor system: the model and its settings. Added to the
/// system's setup by <see cref="LstmStreamsHostingExtensions.WithLstmStreams(Akka.Hosting.AkkaConfigurationBuilder, RecurrentModel, StreamingSettings?)"/>,
/// or by hand (<c>ActorSystemSetup.Create(new LstmStreamsSetup(model))</c>) without a host.
/// </summary>
public sealed class LstmStreamsSetup : Setup
{
    /// <summary>Creates the setup.</summary>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="settings">Runtime settings; null reads the system's <c>lstm-streams</c> section (its defaults where unset).</param>
    public LstmStreamsSetup(RecurrentModel model, StreamingSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Settings = settings;
    }

    /// <summary>The model every sequence runs.</summary>
    public RecurrentModel Model { get; }

    /// <summary>Runtime settings, or null for the system's <c>lstm-streams</c> section.</summary>
    public StreamingSettings? Settings { get; }
}
