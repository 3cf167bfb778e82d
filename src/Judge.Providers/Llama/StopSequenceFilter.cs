namespace Judge.Providers.Llama;

/// <summary>
/// Passes generated text on as it arrives, except what could still turn into a stop sequence: a tail
/// that is the start of some stop sequence is held back until the next text shows it is not, so no
/// part of a stop sequence is ever passed on. Once a stop sequence is complete, the text before it is
/// passed on and <see cref="Stopped"/> is set. Not thread-safe (one generation owns one filter).
/// </summary>
internal sealed class StopSequenceFilter
{
    private readonly string[] _stops;
    private readonly Action<string> _emit;
    private string _held = string.Empty;

    /// <summary>Creates a filter that sends text to <paramref name="emit"/>; empty stop sequences are ignored.</summary>
    public StopSequenceFilter(IEnumerable<string> stops, Action<string> emit)
    {
        _stops = [.. stops.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal)];
        _emit = emit;
    }

    /// <summary>Whether a stop sequence was completed; later text is ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Takes the next text and passes on what can no longer be part of a stop sequence.</summary>
    public void Append(string text)
    {
        if (Stopped || text.Length == 0)
        {
            return;
        }

        // Everything passed on so far held no stop sequence and no start of one (that would have been
        // held), so a stop sequence can only begin in the held tail or the new text.
        var pending = _held + text;
        var cut = -1;
        foreach (var stop in _stops)
        {
            var at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
            }
        }

        if (cut >= 0)
        {
            Stopped = true;
            _held = string.Empty;
            Send(pending[..cut]);
            return;
        }

        var hold = LongestStopPrefixAtEnd(pending);
        _held = pending[(pending.Length - hold)..];
        Send(pending[..(pending.Length - hold)]);
    }

    /// <summary>Generation ended without a stop sequence: what was held back is plain text after all.</summary>
    public void Flush()
    {
        if (!Stopped)
        {
            Send(_held);
        }

        _held = string.Empty;
    }

    /// <summary>The length of the longest end of <paramref name="text"/> that a stop sequence begins with (shorter than that stop sequence).</summary>
    private int LongestStopPrefixAtEnd(string text)
    {
        var best = 0;
        foreach (var stop in _stops)
        {
            for (var n = Math.Min(stop.Length - 1, text.Length); n > best; n--)
            {
                if (text.AsSpan(text.Length - n).SequenceEqual(stop.AsSpan(0, n)))
                {
                    best = n;
                    break;
                }
            }
        }

        return best;
    }

    private void Send(string text)
    {
        if (text.Length > 0)
        {
            _emit(text);
        }
    }
}
