using Akka.Configuration;

namespace LstmStreams.Mqtt.Tests;

/// <summary>The lstm-streams.mqtt section: defaults, overrides, refusals, and the password kept out of sight.</summary>
public sealed class MqttSettingsTests
{
    [Fact]
    public void Settings_read_from_the_reference_are_the_documented_defaults()
    {
        var settings = MqttSettings.FromConfig(ConfigurationFactory.Empty);

        Assert.Equal(("127.0.0.1", 1883, "lstm-streams"), (settings.Host, settings.Port, settings.ClientId));
        Assert.Equal(("sensors/+/obs", SequenceIdFrom.Topic, "sensors/{seq}/pred", ""), (settings.InputTopic, settings.SequenceFrom, settings.OutputTopic, settings.ErrorTopic));
        Assert.Equal((1000, 1000), (settings.ReceiveMaximum, settings.MaxPublishesInFlight));
        Assert.Equal((1, TimeSpan.FromMilliseconds(5), MqttProtocol.V5), (settings.OutputBatch, settings.OutputLinger, settings.ProtocolVersion));
        Assert.Equal(TimeSpan.FromHours(1), settings.SessionExpiry);
        Assert.False(settings.Tls);
    }

    [Fact]
    public void Settings_read_protocol_version_3_1_1_and_output_batching()
    {
        var settings = MqttSettings.FromConfig(ConfigurationFactory.ParseString("""lstm-streams.mqtt { protocol-version = "3.1.1", output-batch = 100, output-linger = 20ms }"""));

        Assert.Equal((MqttProtocol.V311, 100, TimeSpan.FromMilliseconds(20)), (settings.ProtocolVersion, settings.OutputBatch, settings.OutputLinger));
        Assert.Contains("ProtocolVersion = 3.1.1", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_never_show_the_password()
    {
        var settings = MqttSettings.FromConfig(ConfigurationFactory.ParseString("""lstm-streams.mqtt { username = "plant", password = "s3cret-value" }"""));

        Assert.Equal("s3cret-value", settings.Password);
        Assert.DoesNotContain("s3cret-value", settings.ToString(), StringComparison.Ordinal);
        Assert.Contains("plant", settings.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("input-topic = \"sensors/#\"", "exactly one + level")]
    [InlineData("input-topic = \"sensors/+/+/obs\"", "exactly one + level")]
    [InlineData("input-topic = \"sensors/a+/obs\"", "not a valid MQTT topic filter")]
    [InlineData("output-topic = \"out/+/pred\"", "must not contain + or #")]
    [InlineData("receive-maximum = 70000", "receive-maximum")]
    [InlineData("sequence-from = header", "sequence-from")]
    [InlineData("output-batch = 0", "output-batch")]
    [InlineData("output-linger = 0ms", "output-linger")]
    [InlineData("protocol-version = \"3.1\"", "protocol-version")]
    public void Settings_refuse_unusable_values_naming_the_key(string line, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => MqttSettings.FromConfig(ConfigurationFactory.ParseString($"lstm-streams.mqtt {{ {line} }}")));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_mode_accepts_any_filter_and_topics_map_to_sequences_and_back()
    {
        var payload = MqttSettings.FromConfig(ConfigurationFactory.ParseString("""lstm-streams.mqtt { sequence-from = payload, input-topic = "plant/#" }"""));
        var topic = MqttSettings.Default with { InputTopic = "site/+/sensor/obs", OutputTopic = "out/{seq}/y" };

        Assert.Null(new TopicMapping(payload).SequenceIdOf("plant/a/b"));
        Assert.Equal("17", new TopicMapping(topic).SequenceIdOf("site/17/sensor/obs"));
        Assert.Equal("out/a_b/y", new TopicMapping(topic).OutputTopicOf("a+b"));
    }
}
