using IntegrationHub.Scenarios;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>The schedule rules that the save, the Edit page's preview and the scheduler share.</summary>
public sealed class ScenarioScheduleTests
{
    [Theory]
    [InlineData("*/15 * * * *", null, true)]
    [InlineData("0 */5 * * * *", "Europe/Berlin", true)]
    [InlineData("not a cron", null, false)]
    [InlineData("* * * * *", "Mars/Olympus_Mons", false)]
    [InlineData("0 3 * * *", "W. Europe Standard Time", true)]
    // Fields apart by tabs, as the save counted them: the scheduler read the first as six fields and never ran it.
    [InlineData("* * \t * * *", null, true)]
    [InlineData("*\t*\t*\t*\t*", null, true)]
    public void Schedules_AcceptFiveOrSixFieldsAndIanaOrWindowsZones(string cron, string? zone, bool valid) =>
        Assert.Equal(valid, ScenarioSchedule.TryParse(cron, zone, out _, out _));

    [Theory]
    [InlineData("*/1 * * *", "Mars/Olympus", "A cron expression has 5 fields, or 6 with seconds; this one has 4.")]
    [InlineData("0 9 * * *", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'.")]
    public void TryParse_OfWhatCannotRun_SaysWhy_TheExpressionBeforeTheZone(string cron, string zone, string expected)
    {
        Assert.False(ScenarioSchedule.TryParse(cron, zone, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Next_IsReadInTheSchedulesZone()
    {
        Assert.True(ScenarioSchedule.TryParse("0 9 * * *", " europe/berlin ", out var schedule, out _));

        // 09:00 in Berlin in winter is 08:00 UTC.
        Assert.Equal(
            new DateTimeOffset(2031, 1, 7, 8, 0, 0, TimeSpan.Zero),
            schedule.Next(new DateTimeOffset(2031, 1, 6, 12, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("europe/berlin", "Europe/Berlin")]
    [InlineData(" utc ", "UTC")]
    [InlineData("w. europe standard time", "W. Europe Standard Time")]
    public void CanonicalTimeZoneId_SpellsTheZoneAsItsNamingSystemDoes(string typed, string saved) =>
        Assert.Equal(saved, ScenarioSchedule.CanonicalTimeZoneId(typed));

    [Fact]
    public void NormalizeCron_PutsOneSpaceBetweenFields() =>
        Assert.Equal("0 9 * * 1-5", ScenarioSchedule.NormalizeCron(" 0\t9  *\n* 1-5 "));
}
