namespace LstmStreams.Mqtt;

/// <summary>
/// Topics ↔ sequence ids: the sequence id of an input topic (the filter's one <c>+</c> level) and the output
/// topic of a sequence (the template with <c>{seq}</c> replaced).
/// </summary>
public sealed class TopicMapping
{
    private const string SeqPlaceholder = "{seq}";
    private readonly int _wildcardLevel; // index of the + level in the input filter, -1 when the payload names the sequence
    private readonly string _outputTemplate;

    /// <summary>Builds the mapping of validated settings.</summary>
    public TopicMapping(MqttSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _wildcardLevel = settings.SequenceFrom == SequenceIdFrom.Topic ? Array.IndexOf(WithoutShare(settings.InputTopic).Split('/'), "+") : -1;
        _outputTemplate = settings.OutputTopic;
    }

    /// <summary>The sequence id an input topic names (topic mode), or null when the payload's <c>seq</c> is used.</summary>
    public string? SequenceIdOf(string topic)
    {
        if (_wildcardLevel < 0) return null;
        int start = 0;
        for (int level = 0; level < _wildcardLevel; level++)
        {
            start = topic.IndexOf('/', start) + 1;
            if (start == 0) return "";
        }

        int end = topic.IndexOf('/', start);
        return end < 0 ? topic[start..] : topic[start..end];
    }

    /// <summary>The topic a prediction of <paramref name="sequenceId"/> is published to. Characters a topic
    /// name must not hold (<c>+</c>, <c>#</c>, NUL) become <c>_</c>.</summary>
    public string OutputTopicOf(string sequenceId)
    {
        if (sequenceId.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
            sequenceId = sequenceId.Replace('+', '_').Replace('#', '_').Replace('\0', '_');
        return _outputTemplate.Replace(SeqPlaceholder, sequenceId, StringComparison.Ordinal);
    }

    /// <summary>The topic filter of a shared subscription (<c>$share/GROUP/FILTER</c>, MQTT 5 and mosquitto's 3.1.1:
    /// the broker gives each message to one subscriber of the group), or the filter itself.</summary>
    public static string WithoutShare(string filter)
    {
        if (!filter.StartsWith("$share/", StringComparison.Ordinal)) return filter;
        int end = filter.IndexOf('/', "$share/".Length);
        return end < 0 ? "" : filter[(end + 1)..];
    }

    /// <summary>Checks the topics of <paramref name="settings"/>; the message names the key and the fix.</summary>
    internal static void Validate(MqttSettings settings)
    {
        if (settings.InputTopic.StartsWith("$share/", StringComparison.Ordinal) && (settings.InputTopic.Split('/') is not { Length: >= 3 } share || share[1].Length == 0 || share[1].AsSpan().IndexOfAny('+', '#') >= 0))
            throw new ArgumentException($"lstm-streams.mqtt.input-topic = \"{settings.InputTopic}\": a shared subscription is $share/GROUP/FILTER, with a group name of its own (no + or #) and a filter after it.");
        string filter = WithoutShare(settings.InputTopic);
        if (string.IsNullOrEmpty(filter))
            throw new ArgumentException("lstm-streams.mqtt.input-topic is empty: give a topic filter such as sensors/+/obs.");
        string[] levels = filter.Split('/');
        for (int i = 0; i < levels.Length; i++)
        {
            if ((levels[i].Contains('+') && levels[i] != "+") || (levels[i].Contains('#') && (levels[i] != "#" || i != levels.Length - 1)))
                throw new ArgumentException($"lstm-streams.mqtt.input-topic = \"{filter}\" is not a valid MQTT topic filter: + and # must fill a whole level, # only the last.");
        }

        if (settings.SequenceFrom == SequenceIdFrom.Topic)
        {
            int wildcards = levels.Count(level => level == "+");
            if (wildcards != 1 || levels.Contains("#"))
                throw new ArgumentException($"lstm-streams.mqtt.input-topic = \"{filter}\": with sequence-from = topic the filter needs exactly one + level (the sequence id) and no #, " +
                    "e.g. sensors/+/obs; or set sequence-from = payload to take the id from the message's \"seq\".");
        }

        foreach (var (key, topic) in new[] { ("output-topic", settings.OutputTopic), ("error-topic", settings.ErrorTopic) })
        {
            if (topic.AsSpan().IndexOfAny('+', '#') >= 0)
                throw new ArgumentException($"lstm-streams.mqtt.{key} = \"{topic}\": a topic to publish to must not contain + or #.");
        }

        if (settings.OutputTopic.Length == 0)
            throw new ArgumentException("lstm-streams.mqtt.output-topic is empty: give a template such as sensors/{seq}/pred.");
    }
}
