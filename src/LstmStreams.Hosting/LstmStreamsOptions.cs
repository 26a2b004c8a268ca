namespace LstmStreams.Hosting;

/// <summary>
/// LstmStreams settings bound from <c>Microsoft.Extensions.Configuration</c> (appsettings.json, environment
/// variables), e.g. the section <c>"LstmStreams": { "ModelPath": "models/m.safetensors", "Store": "sqlite:data/app.db" }</c>.
/// Anything not here is read from the actor system's HOCON <c>lstm-streams</c> section (reference.conf documents every key).
/// </summary>
public sealed class LstmStreamsOptions
{
    /// <summary>The model file: safetensors or a torch.save state_dict (.pt).</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>Where sequence states are kept between runs: <c>none</c>, <c>memory</c>, <c>sqlite:PATH</c> or
    /// <c>postgres:CONNECTION</c>; null keeps the HOCON setting (<c>lstm-streams.persistence.store</c>, default none).</summary>
    public string? Store { get; set; }
}
