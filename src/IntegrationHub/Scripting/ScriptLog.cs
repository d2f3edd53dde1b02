using IntegrationHub.Runs;

namespace IntegrationHub.Scripting;

/// <summary>
/// The lines one script execution writes, capped: a script logging in a loop would otherwise grow the run row
/// without bound. Past the cap one warning says lines were dropped and the script goes on. Each line also goes to
/// <paramref name="runLog"/> as it is written, so a long script's lines show in the run's live log.
/// </summary>
internal sealed class ScriptLog(TimeProvider time, int maxLines, int maxLineLength, RunLog? runLog)
{
    private readonly List<RunLogLine> _lines = [];
    private int _written;

    public IReadOnlyList<RunLogLine> Lines => _lines;

    /// <summary>Characters kept of a line; the rest is cut.</summary>
    public int MaxLineLength => maxLineLength;

    public void Write(string level, string message)
    {
        _written++;
        if (_written > maxLines)
        {
            if (_written == maxLines + 1)
            {
                Add(new RunLogLine(time.GetUtcNow(), RunLogLevels.Warn,
                    $"Later log lines were dropped: a script may write {maxLines} lines (Scripting:MaxLogLines)."));
            }
            return;
        }

        Add(new RunLogLine(time.GetUtcNow(), level, TextCut.Shorten(message, maxLineLength, "… (cut)")));
    }

    private void Add(RunLogLine line)
    {
        _lines.Add(line);
        runLog?.Write(line);
    }
}
