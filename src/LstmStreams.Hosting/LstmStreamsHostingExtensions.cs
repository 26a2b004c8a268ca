using Akka.Hosting;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Hosting;

/// <summary>
/// LstmStreams in an Akka.Hosting actor system:
/// <c>services.AddAkka("app", b => b.WithLstmStreams(model))</c>, then <see cref="SequencePredictor.For"/> with the
/// host's <see cref="Akka.Actor.ActorSystem"/> (or a DI singleton made from it) answers observations.
/// </summary>
public static class LstmStreamsHostingExtensions
{
    /// <summary>Runs <paramref name="model"/> in the host's actor system: adds the runtime's reference
    /// configuration and starts the <see cref="SequencePredictor"/> with the system.</summary>
    /// <param name="builder">The host's actor-system builder.</param>
    /// <param name="model">The model every sequence runs.</param>
    /// <param name="settings">Runtime settings; null reads the system's <c>lstm-streams</c> section.</param>
    public static AkkaConfigurationBuilder WithLstmStreams(this AkkaConfigurationBuilder builder, RecurrentModel model, StreamingSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(model);
        builder.AddHocon(StreamingSettings.ReferenceConfig, HoconAddMode.Append);
        builder.AddSetup(new LstmStreamsSetup(model, settings));
        return builder.AddStartup((system, _) => SequencePredictor.For(system));
    }

    /// <summary>As <see cref="WithLstmStreams(AkkaConfigurationBuilder, RecurrentModel, StreamingSettings?)"/>, with the model
    /// and store from bound options (<c>services.Configure&lt;LstmStreamsOptions&gt;(configuration.GetSection("LstmStreams"))</c>).</summary>
    /// <exception cref="ModelFormatException">The model file cannot be read; the message names it and the fix.</exception>
    public static AkkaConfigurationBuilder WithLstmStreams(this AkkaConfigurationBuilder builder, LstmStreamsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            throw new ArgumentException("LstmStreams:ModelPath is not set: name the model file (safetensors or a torch.save .pt) in the configuration.", nameof(options));
        var model = ModelLoader.Load(options.ModelPath);
        if (options.Store is not null) // as HOCON, above the reference's default: the one place settings are read stays StreamingSettings
            builder.AddHocon($"lstm-streams.persistence.store = {System.Text.Json.JsonSerializer.Serialize(options.Store)}", HoconAddMode.Prepend);
        return builder.WithLstmStreams(model);
    }
}
