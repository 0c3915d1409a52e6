"""Build a development set of rendered music with known tempo and key, for measuring picscore's tempo and key estimation.

picscore estimates the tempo and key of a user's tracks. Judging those estimates needs audio whose answer is known
without asking another estimator, and that sounds like music rather than test tones: played by sampled instruments,
with chords, bass lines, dynamics and, in half of the set, a drum kit. This script takes scores from music21's bundled
corpus, plays each at a tempo and in a key of its own drawing, renders it with FluidSynth and a General MIDI soundfont,
and writes:

    OUT_DIR/NNN.flac      22050 Hz stereo, the first --seconds seconds after the first sound; neutral names
    OUT_DIR/labels.tsv    one row per file: audio, bpm, tonic, mode, key_signature, meter, drums, instruments,
                          soundfont, source, transpose

Where the ground truth comes from
  Tempo: the MIDI file's only tempo event, read back after writing (quarter notes per minute; every tempo mark of the
  score is removed first, and fermatas and ritardandi are not played). Only pieces in 2/4, 3/4 or 4/4 throughout are
  used, so the quarter note is the beat; with --compound, only pieces in 6/8, 9/8 or 12/8, whose beat is the dotted
  quarter, and the bpm column counts dotted quarters (two thirds of the MIDI file's tempo), without drums. Repeats are
  written out; a piece with a full bar off the beat of the first (a repeat that moves the beat by a fraction of a
  quarter note) or a bar longer than its time signature is skipped.
  A piece shorter than the excerpt is looped, each copy starting a whole number of bars after the last, so the beat
  never breaks. Tempi are drawn log-uniformly over 60-180 BPM, one from each of --pieces equal strata.
  Key: from the score, not from any key-finding algorithm. The tonic is the pitch class of the lowest note of the final
  sonority: each part's last note or chord that ends within the last bar. The mode comes from the key signature: if
  its major key has that tonic, major; if its relative minor has it, minor; otherwise the piece ends on another degree
  (a modal tune, a half cadence, a movement that leads into the next) and is skipped. The key signature must be the
  same in every part at the end and throughout the longest excerpt, and in a piece of several parts the lowest note of
  the opening must be the tonic or the dominant, which keeps out pieces that begin in one key and end in another (a
  chorale opening in G major and ending in E minor). Where the score names its key, the rule is checked against it:
  ABC ("K:Gm", "K:A Mixolydian") and Humdrum ("*g:") write the key the tune is in, and a tune whose last note
  disagrees is skipped (its last note is a pickup into a repeat, or it ends at a D.C. that is not played out, as in
  ryansMammoth/EssenceOfSugarCane); a MusicXML <mode> is only noted, since the corpus's MusicXML files mostly say
  "major" (the relative major) for minor pieces, and the rule decides. Each piece is transposed by -5..+6 semitones so
  that the tonics of the set cycle through all twelve; the label is spelled in the transposed key with the fewer
  accidentals.

What is chosen
  Bach chorales (bach/, the Well-Tempered Clavier prelude bwv846 counted with the classical works), classical and
  romantic pieces (string quartet movements of Mozart, Haydn, Beethoven and Robert Schumann, Corelli, C. P. E. Bach,
  Chopin, Clara Schumann, songs and others) and folk tunes (O'Neill's 1850, Ryan's Mammoth, Aird's Airs, miscFolk, the
  Nottingham set), about 40/30/30 of the accepted pieces; a work stored in several files or versions counts once. The
  Essen folk songs are left out: their ABC "K:" field almost never gives a mode, and minor tunes are written under the
  major key of their final with the flats spelled out in the notes (altdeu10 X:1 is in G minor under "K:G"), so the
  key-signature rule would call them major. Renaissance, medieval and atonal works are left out too. Candidates are
  tried in an order drawn from --seed; each accepted piece gets its slot's tempo, tonic, drum pattern (half of the
  slots; rock backbeat, four-on-the-floor and ballad in 2/4 and 4/4, waltz and a 3/4 ballad in 3/4, on MIDI channel 10,
  bar by bar with the score's bars), General MIDI instrumentation and soundfont (the soundfonts cycled). --exclude
  keeps the sources of another set's labels.tsv out, for a held-out set.

Usage: python tools/build_analysis_set.py OUT_DIR [--pieces 40] [--seed 0] [--seconds 45] [--soundfont PATH ...]
           [--exclude LABELS_TSV ...] [--compound]
"""

from __future__ import annotations

import argparse
import copy
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple, cast

import av
import numpy as np
from music21 import chord, instrument, key, meter, midi, note, stream, tempo
from music21.corpus import corpora
from music21.exceptions21 import Music21Exception
from music21.metadata.bundles import MetadataEntry

SAMPLE_RATE = 22050
MIN_SECONDS = 20.0
BPM_RANGE = (60.0, 180.0)
FLUIDSYNTH_GAIN = "0.6"
PEAK_LEVEL = 0.89  # -1 dBFS
SILENCE_BELOW_PEAK = 10 ** (-40 / 20)  # the first sound: the first sample within 40 dB of the peak
LEAD_IN_SECONDS = 0.01
RENDER_MARGIN_SECONDS = 3.0
RENDER_TIMEOUT = 120  # seconds; FluidSynth renders a piece in a few
MAX_PARTS = 8
NOTE_ON = midi.ChannelVoiceMessages.NOTE_ON
CONTROLLER_CHANGE = midi.ChannelVoiceMessages.CONTROLLER_CHANGE
ALL_SOUND_OFF = 120
DRUM_CHANNEL = 10
PART_CHANNELS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16)
DRUM_NOTE_QUARTERS = 0.25
METERS = ("2/4", "3/4", "4/4")
COMPOUND_METERS = ("6/8", "9/8", "12/8")
# Quarter notes in each metre's beat.
BEAT_QUARTERS = {"2/4": 1.0, "3/4": 1.0, "4/4": 1.0, "6/8": 1.5, "9/8": 1.5, "12/8": 1.5}
DEFAULT_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
)
GROUP_WEIGHTS = {"chorale": 0.4, "classical": 0.3, "folk": 0.3}
CLASSICAL_COLLECTIONS = (
    "beach",
    "beethoven",
    "chopin",
    "corelli",
    "cpebach",
    "handel",
    "haydn",
    "johnson_j_r",
    "joplin",
    "leadSheet",
    "liliuokalani",
    "mozart",
    "schubert",
    "schumann_clara",
    "schumann_robert",
    "verdi",
    "weber",
)
CLASSICAL_BACH = ("bach/bwv846.mxl",)
FOLK_COLLECTIONS = ("airdsAirs", "miscFolk", "nottingham-dataset", "oneills1850", "ryansMammoth")
SAME_WORK = {"schumann_robert/opus48no2": "schumann_robert/dichterliebe_no2"}  # Dichterliebe no. 2 twice
KEY_STATING_FORMATS = (".abc", ".krn")  # their written key includes the mode chosen by the encoder
SCORE_SUFFIX_PREFERENCE = (".mxl", ".musicxml", ".xml", ".krn", ".abc")
TSV_HEADER = (
    "audio",
    "bpm",
    "tonic",
    "mode",
    "key_signature",
    "meter",
    "drums",
    "instruments",
    "soundfont",
    "source",
    "transpose",
)

GM_NAMES = {
    0: "Acoustic Grand Piano",
    4: "Electric Piano 1",
    19: "Church Organ",
    24: "Nylon Guitar",
    25: "Steel Guitar",
    32: "Acoustic Bass",
    33: "Fingered Bass",
    40: "Violin",
    41: "Viola",
    42: "Cello",
    48: "String Ensemble 1",
    49: "String Ensemble 2",
    52: "Choir Aahs",
    53: "Voice Oohs",
    56: "Trumpet",
    57: "Trombone",
    58: "Tuba",
    60: "French Horn",
    68: "Oboe",
    70: "Bassoon",
    71: "Clarinet",
    73: "Flute",
    89: "Warm Pad",
}


@dataclass(frozen=True)
class Ensemble:
    """General MIDI programs for a score's parts, top to bottom: the top part, the inner parts in turn, the bottom part."""

    name: str
    top: int
    inner: tuple[int, ...]
    bottom: int

    def programs(self, parts: int) -> list[int]:
        """The program of each of `parts` parts; a single part plays the top program."""
        if parts == 1:
            return [self.top]
        return [self.top, *(self.inner[i % len(self.inner)] for i in range(parts - 2)), self.bottom]


ENSEMBLES = (
    Ensemble("piano", 0, (0,), 0),
    Ensemble("string quartet", 40, (40, 41), 42),
    Ensemble("string ensemble", 48, (49, 48), 48),
    Ensemble("organ", 19, (19,), 19),
    Ensemble("woodwinds", 73, (68, 71), 70),
    Ensemble("brass", 56, (60, 57), 58),
    Ensemble("guitars", 24, (25, 24), 32),
    Ensemble("choir and pad", 52, (89, 53), 52),
    Ensemble("electric piano", 4, (4,), 33),
)


class Message(NamedTuple):
    """A MIDI channel message: time in quarter notes, order among messages at that time, channel (1-16), status, data."""

    quarters: float
    order: int  # note-offs (0) before note-ons (1) before the closing All Sound Off (2)
    channel: int
    status: midi.ChannelVoiceMessages
    data1: int
    data2: int


KICK, SIDE_STICK, SNARE, CLAP, CLOSED_HAT, OPEN_HAT = 36, 37, 38, 39, 42, 46
EIGHTHS_4 = tuple(i / 2 for i in range(8))


@dataclass(frozen=True)
class DrumPattern:
    """One bar of General MIDI drums: (position in quarter notes from the downbeat, drum note, velocity)."""

    name: str
    meter: str
    hits: tuple[tuple[float, int, int], ...]


def _pattern(name: str, meter_: str, *voices: tuple[int, int, Sequence[float]]) -> DrumPattern:
    """A pattern from (note, velocity, positions) voices."""
    hits = sorted((position, drum, velocity) for drum, velocity, positions in voices for position in positions)
    return DrumPattern(name, meter_, tuple(hits))


DRUM_PATTERNS = (
    _pattern("rock", "4/4", (KICK, 100, (0, 2, 2.5)), (SNARE, 100, (1, 3)), (CLOSED_HAT, 70, EIGHTHS_4)),
    _pattern("four on the floor", "4/4", (KICK, 105, (0, 1, 2, 3)), (CLAP, 90, (1, 3)), (OPEN_HAT, 65, (0.5, 1.5, 2.5, 3.5))),
    _pattern("ballad", "4/4", (KICK, 90, (0, 2)), (SIDE_STICK, 80, (1, 3)), (CLOSED_HAT, 55, (0, 1, 2, 3))),
    _pattern("rock", "2/4", (KICK, 100, (0,)), (SNARE, 100, (1,)), (CLOSED_HAT, 70, EIGHTHS_4[:4])),
    _pattern("four on the floor", "2/4", (KICK, 105, (0, 1)), (CLAP, 90, (1,)), (OPEN_HAT, 65, (0.5, 1.5))),
    _pattern("ballad", "2/4", (KICK, 90, (0,)), (SIDE_STICK, 80, (1,)), (CLOSED_HAT, 55, (0, 1))),
    _pattern("waltz", "3/4", (KICK, 100, (0,)), (SNARE, 75, (1, 2)), (CLOSED_HAT, 65, (0, 1, 2))),
    _pattern("ballad", "3/4", (KICK, 90, (0,)), (SIDE_STICK, 75, (2,)), (CLOSED_HAT, 55, EIGHTHS_4[:6])),
)


class Skip(Exception):
    """A candidate that cannot be used; the message is the reason counted in the summary."""


@dataclass(frozen=True)
class Candidate:
    """A corpus entry: a file, and the tune's number in a collection of tunes."""

    group: str
    entry: MetadataEntry

    @property
    def source(self) -> str:
        """The corpus path, with '#number' for a tune in a collection."""
        path = Path(self.entry.sourcePath).as_posix()
        return path if self.entry.number is None else f"{path}#{self.entry.number}"


@dataclass
class Piece:
    """A usable score (repeats written out, tempo marks removed) and what its ground truth needs."""

    candidate: Candidate
    score: stream.Score
    meter: str
    bar: Fraction
    sharps: int
    tonic: int  # pitch class
    mode: str
    stated_key: str | None  # a MusicXML key (with <mode>) that disagrees with the rule


@dataclass(frozen=True)
class Slot:
    """What one accepted piece is played with: drawn before any piece is chosen."""

    index: int
    bpm: float
    tonic: int
    drum_choice: int | None  # index into the meter's drum patterns, None for no drums
    ensemble: Ensemble
    soundfont: Path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Render music21 corpus pieces with known tempo and key to FLAC files and a labels.tsv, "
        "a development set for picscore's tempo and key estimation.",
    )
    parser.add_argument("out_dir", type=Path, help="folder for NNN.flac and labels.tsv (created)")
    parser.add_argument("--pieces", type=int, default=40, help="number of pieces to write (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="draws the pieces, tempi, keys, drums and instruments (default 0)")
    parser.add_argument("--seconds", type=float, default=45.0, help="length of each excerpt in seconds, at least 20 (default 45)")
    parser.add_argument(
        "--soundfont",
        type=Path,
        nargs="+",
        help="soundfonts to cycle through, one per piece (default: FluidR3_GM, TimGM6mb and MuseScore_General_Lite where installed)",
    )
    parser.add_argument(
        "--exclude",
        type=Path,
        nargs="+",
        action="extend",
        default=[],
        help="labels.tsv files of other sets whose sources are not to be chosen again (for a held-out set); may be given more than once",
    )
    parser.add_argument(
        "--compound",
        action="store_true",
        help="pieces in 6/8, 9/8 or 12/8 instead, without drums; their beat, which the bpm column counts, is the dotted quarter",
    )
    args = parser.parse_args(argv)
    if args.pieces < 1:
        parser.error("--pieces must be at least 1")
    if args.seconds < MIN_SECONDS:
        parser.error(f"--seconds must be at least {MIN_SECONDS:g}")
    return args


def available_soundfonts(requested: Sequence[Path] | None) -> list[Path]:
    """The requested soundfonts, or the installed defaults; missing ones are reported and skipped."""
    fonts = []
    for font in requested or DEFAULT_SOUNDFONTS:
        if font.is_file():
            fonts.append(font)
        else:
            print(f"soundfont {font} not found, skipped", file=sys.stderr)
    if not fonts:
        sys.exit("no soundfont found")
    return fonts


def excluded_sources(label_files: Sequence[Path]) -> set[str]:
    """The `source` column of earlier labels.tsv files."""
    sources: set[str] = set()
    for path in label_files:
        lines = path.read_text(encoding="utf-8").splitlines()
        column = lines[0].split("\t").index("source")
        sources.update(line.split("\t")[column] for line in lines[1:] if line)
    return sources


def group_of(path: str) -> str | None:
    """Which group a corpus file belongs to, None for files not used."""
    collection = path.split("/", 1)[0]
    if path in CLASSICAL_BACH or collection in CLASSICAL_COLLECTIONS:
        return "classical"
    if collection == "bach":
        return "chorale"
    if collection in FOLK_COLLECTIONS:
        return "folk"
    return None


def work_of(path: Path) -> str:
    """What names a work across its files: the path without its suffix, Bach's versions (bwv18.5-lz, bwv18.5-w) and
    SAME_WORK folded together."""
    stem = path.with_suffix("").as_posix()
    stem = SAME_WORK.get(stem, stem)
    return re.sub(r"-[a-z0-9]+$", "", stem) if stem.startswith("bach/") else stem


def list_candidates(excluded: set[str], meters: Sequence[str]) -> dict[str, list[Candidate]]:
    """Corpus entries per group, from music21's metadata bundle, in a fixed order.

    A collection of tunes is listed tune by tune; a work stored in several files (formats, versions) once, in the first
    format of SCORE_SUFFIX_PREFERENCE. Entries whose metadata shows more than one time signature or one not in `meters` are left
    out here, before parsing; the rest are checked on the parsed score.
    """
    bundle = corpora.CoreCorpus().metadataBundle
    bundle.read()
    entries = [entry for entry in cast(Iterable[Any], bundle) if entry.metadata is not None]  # it iterates by __getitem__
    numbered = {Path(entry.sourcePath).as_posix() for entry in entries if entry.number is not None}
    chosen: dict[str, Path] = {}
    for path in sorted({Path(entry.sourcePath) for entry in entries if Path(entry.sourcePath).suffix in SCORE_SUFFIX_PREFERENCE}):
        work = work_of(path)
        if work not in chosen or SCORE_SUFFIX_PREFERENCE.index(path.suffix) < SCORE_SUFFIX_PREFERENCE.index(chosen[work].suffix):
            chosen[work] = path
    groups: dict[str, list[Candidate]] = {name: [] for name in GROUP_WEIGHTS}
    for entry in entries:
        path = Path(entry.sourcePath)
        group = group_of(path.as_posix())
        signatures = set(entry.metadata.timeSignatures or ())
        if (
            group is None
            or chosen.get(work_of(path)) != path
            or (entry.number is None and path.as_posix() in numbered)
            or len(signatures) != 1
            or not signatures <= set(meters)
        ):
            continue
        candidate = Candidate(group, entry)
        if candidate.source not in excluded:
            groups[group].append(candidate)
    for candidates in groups.values():
        candidates.sort(key=lambda candidate: (Path(candidate.entry.sourcePath).as_posix(), candidate.entry.number or 0))
    return groups


def candidate_order(groups: dict[str, list[Candidate]], seed: int) -> dict[str, Iterator[Candidate]]:
    """Each group's candidates in an order drawn from the seed."""
    rng = random.Random(f"order-{seed}")
    order = {}
    for name, candidates in groups.items():
        shuffled = list(candidates)
        rng.shuffle(shuffled)
        order[name] = iter(shuffled)
    return order


def draw_slots(count: int, seed: int, soundfonts: Sequence[Path]) -> list[Slot]:
    """Tempo, tonic, drums, instruments and soundfont for each slot.

    Tempi: one from each of `count` equal strata of log tempo over BPM_RANGE, strata in random order. Tonics: the twelve
    pitch classes in random order, repeated. Drums: in exactly half of the slots (count // 2), at random.
    """
    rng = random.Random(f"slots-{seed}")
    strata = rng.sample(range(count), count)
    low, high = (math.log(bpm) for bpm in BPM_RANGE)
    tonics = [pc for _ in range(math.ceil(count / 12)) for pc in rng.sample(range(12), 12)]
    drums = rng.sample(range(count), count // 2)
    slots = []
    for index in range(count):
        bpm = math.exp(low + (high - low) * (strata[index] + rng.random()) / count)
        slots.append(
            Slot(
                index=index,
                bpm=round(bpm, 2),
                tonic=tonics[index],
                drum_choice=rng.randrange(1000) if index in drums else None,
                ensemble=rng.choice(ENSEMBLES),
                soundfont=soundfonts[index % len(soundfonts)],
            )
        )
    return slots


def parse_score(candidate: Candidate) -> stream.Score:
    """The candidate's score at sounding pitch, repeats written out, tempo marks and grace notes removed.

    Grace notes have no duration; music21 writes their note-off before their note-on, which leaves them sounding.
    """
    parsed = candidate.entry.parse()
    if not isinstance(parsed, stream.Score) or not parsed.parts:
        raise Skip("not a score with parts")
    if len(parsed.parts) > MAX_PARTS:
        raise Skip(f"more than {MAX_PARTS} parts")
    try:
        score = parsed.expandRepeats()
    except Music21Exception as error:
        raise Skip("repeats cannot be expanded") from error
    score.toSoundingPitch(inPlace=True)
    for element in list(score.recurse().getElementsByClass((tempo.TempoIndication, note.GeneralNote))):
        if isinstance(element, tempo.TempoIndication) or element.duration.isGrace:
            element.activeSite.remove(element)
    return score


def single_meter(score: stream.Score, meters: Sequence[str]) -> str:
    """The score's one time signature, which must be one of `meters`."""
    signatures = {signature.ratioString for signature in score.recurse().getElementsByClass(meter.TimeSignature)}
    if len(signatures) != 1:
        raise Skip("no time signature" if not signatures else "time signature changes")
    (signature,) = signatures
    if signature not in meters:
        raise Skip(f"meter {signature}")
    return signature


def check_bars(score: stream.Score, bar: Fraction) -> None:
    """No bar may be longer than the time signature's, and every full bar must start on the beat of the first.

    Short bars are fine where they keep the beat: a pickup, a last bar completing it, a bar split at a repeat sign
    (music21 does not repeat a pickup, so a split bar plays as a short one, which moves the downbeat but not the beat).
    A repeat that moves the beat by a fraction of a quarter note, or tuplet rounding in the encoding, is refused.
    """
    measures = list(score.parts[0].getElementsByClass(stream.Measure))
    full = [Fraction(m.offset) for m in measures if Fraction(m.duration.quarterLength) == bar]
    if not full:
        raise Skip("no full bar")
    if any(Fraction(m.duration.quarterLength) > bar for m in measures) or any((offset - full[0]).denominator != 1 for offset in full):
        raise Skip("irregular bar lengths")


def key_signature(score: stream.Score, excerpt_quarters: float) -> int:
    """The key signature's sharps (negative: flats), the same in all parts at the end and up to `excerpt_quarters`."""
    sharps = set()
    for part in score.parts:
        signatures = list(part.recurse().getElementsByClass(key.KeySignature))
        final = signatures[-1].sharps if signatures else 0
        early = {s.sharps for s in signatures if s.getOffsetInHierarchy(part) < excerpt_quarters}
        if early - {final}:
            raise Skip("key signature changes")
        sharps.add(final)
    if len(sharps) != 1:
        raise Skip("parts disagree on key signature")
    return sharps.pop()


def sounding_notes(part: stream.Stream) -> list[tuple[float, note.NotRest]]:
    """A part's notes and chords that take time, with their offsets (grace notes and unpitched notes left out)."""
    flat = part.flatten()
    return [(n.getOffsetBySite(flat), n) for n in flat.getElementsByClass((note.Note, chord.Chord)) if n.quarterLength > 0]


def lowest_pitch_class(notes: Sequence[note.NotRest]) -> int:
    """Pitch class of the lowest pitch among the notes and chords."""
    return min((p for n in notes for p in n.pitches), key=lambda p: p.ps).pitchClass


def final_bass(score: stream.Score, bar: Fraction) -> int:
    """Pitch class of the lowest note of the final sonority: each part's last notes or chords, of parts ending in the last bar."""
    endings = []
    for part in score.parts:
        finishes = [(offset + n.quarterLength, n) for offset, n in sounding_notes(part)]
        if finishes:
            end = max(finish for finish, _ in finishes)
            endings.append((end, [n for finish, n in finishes if finish == end]))
    score_end = max(end for end, _ in endings)
    return lowest_pitch_class([n for end, notes in endings if end > score_end - bar for n in notes])


def opening_bass(score: stream.Score) -> int:
    """Pitch class of the lowest note that sounds at the score's first onset."""
    notes = [item for part in score.parts for item in sounding_notes(part)]
    first = min(offset for offset, _ in notes)
    return lowest_pitch_class([n for offset, n in notes if offset == first])


def mode_of(sharps: int, tonic: int) -> str:
    """'major' or 'minor' when the key signature's major or relative minor key has this tonic."""
    signature = key.KeySignature(sharps)
    for mode in ("major", "minor"):
        if signature.asKey(mode).tonic.pitchClass == tonic:
            return mode
    raise Skip("ends on neither tonic of its key signature")


def stated_key(score: stream.Score) -> key.Key | None:
    """The last explicit key (with a mode) written in the score, if any."""
    keys = list(score.recurse().getElementsByClass(key.Key))
    return keys[-1] if keys else None


def analyse(candidate: Candidate, excerpt_quarters: float, meters: Sequence[str]) -> Piece:
    """Parse and check a candidate; raises Skip with the reason it cannot be used."""
    score = parse_score(candidate)
    signature = single_meter(score, meters)
    bar = Fraction(meter.TimeSignature(signature).barDuration.quarterLength)
    check_bars(score, bar)
    sharps = key_signature(score, excerpt_quarters)
    tonic = final_bass(score, bar)
    mode = mode_of(sharps, tonic)
    dominant = (tonic + 7) % 12
    if len(score.parts) > 1 and opening_bass(score) not in (tonic, dominant):
        raise Skip("opening bass neither tonic nor dominant")
    written = stated_key(score)
    disagreement = None
    if written is not None and (written.tonic.pitchClass, written.mode) != (tonic, mode):
        if Path(candidate.entry.sourcePath).suffix in KEY_STATING_FORMATS:
            raise Skip("last note disagrees with the written key")
        disagreement = f"{written.tonic.name.replace('-', 'b')} {written.mode}"
    return Piece(candidate, score, signature, bar, sharps, tonic, mode, disagreement)


def fewest_accidentals(tonic: int, mode: str) -> int:
    """Sharps (negative: flats) of the key with this tonic and mode written with the fewest accidentals (Gb over F#)."""
    return min((s for s in range(-7, 8) if key.KeySignature(s).asKey(mode).tonic.pitchClass == tonic), key=lambda s: (abs(s), s))


def tonic_name(sharps: int, mode: str) -> str:
    """The tonic of the key signature's major or minor key, spelled 'Eb', 'F#'."""
    return key.KeySignature(sharps).asKey(mode).tonic.name.replace("-", "b")


def transposition(source_tonic: int, target_tonic: int) -> int:
    """Semitones in -5..+6 that take one pitch class to the other."""
    return (target_tonic - source_tonic + 5) % 12 - 5


def arrange(piece: Piece, quarters: float, semitones: int, ensemble: Ensemble) -> stream.Score:
    """The piece transposed, on the ensemble's programs, cut or looped to `quarters` quarter notes.

    Copies follow each other every whole number of bars (the piece's length rounded up), so the bar grid goes on.
    """
    length = math.ceil(piece.score.highestTime / piece.bar) * piece.bar
    copies = math.ceil(quarters / length)
    programs = ensemble.programs(len(piece.score.parts))
    arranged = stream.Score()
    for part, program in zip(piece.score.parts, programs, strict=True):
        new_part = stream.Part()
        voice = instrument.Instrument()
        voice.midiProgram = program
        new_part.insert(0, voice)
        for index in range(copies):
            for measure in part.getElementsByClass(stream.Measure):
                start = index * length + measure.offset
                if start < quarters:
                    new_part.insert(start, copy.deepcopy(measure))
        for old in list(new_part.recurse().getElementsByClass(instrument.Instrument)):
            if old is not voice:
                old.activeSite.remove(old)
        arranged.insert(0, new_part)
    arranged.transpose(semitones, inPlace=True)
    return arranged


def first_onset(score: stream.Score) -> float:
    """Offset in quarter notes of the score's first note."""
    return min(offset for part in score.parts for offset, _ in sounding_notes(part))


def drum_messages(pattern: DrumPattern, bars: Sequence[tuple[float, float]], bar: Fraction, start: float) -> list[Message]:
    """The pattern on channel 10 in each bar (offset, length in quarter notes) from `start` on.

    A short bar plays the end of the pattern when it leads into the next (a pickup: the first bar, one after a gap or
    after another short bar), else the beginning (the first half of a bar split at a repeat sign).
    """
    messages = []
    previous_end, previous_short = None, False
    for offset, length in bars:
        short = length < bar
        lead_in = short and (previous_end != offset or previous_short)
        shift = float(bar) - length if lead_in else 0.0
        for position, drum, velocity in pattern.hits:
            at = offset + position - shift
            if offset <= at < offset + length and at >= start:
                messages.append(Message(at, 1, DRUM_CHANNEL, NOTE_ON, drum, velocity))
                messages.append(Message(at + DRUM_NOTE_QUARTERS, 0, DRUM_CHANNEL, NOTE_ON, drum, 0))
        previous_end, previous_short = offset + length, short
    return messages


def message_track(messages: list[Message], ticks_per_quarter: int) -> midi.MidiTrack:
    """A MIDI track of the messages, in time order."""
    track = midi.MidiTrack(index=0)
    now = 0
    for message in sorted(messages):
        tick = round(message.quarters * ticks_per_quarter)
        event = midi.MidiEvent(track, type=message.status, channel=message.channel)
        event.parameter1, event.parameter2 = message.data1, message.data2
        track.events.extend([midi.DeltaTime(track, time=tick - now), event])
        now = tick
    end_of_track = midi.MidiEvent(track, type=midi.MetaEvents.END_OF_TRACK)
    end_of_track.data = b""
    track.events.extend([midi.DeltaTime(track, time=0), end_of_track])
    return track


def separate_channels(midi_file: midi.MidiFile) -> None:
    """Give each part's track a channel of its own (music21 shares one among parts of one program)."""
    part_tracks = [track for track in midi_file.tracks if any(e.isNoteOn() for e in track.events if isinstance(e, midi.MidiEvent))]
    for track, channel in zip(part_tracks, PART_CHANNELS, strict=False):
        for event in track.events:
            if isinstance(event, midi.MidiEvent) and event.type in midi.ChannelVoiceMessages:
                event.channel = channel


def tempo_events(midi_file: midi.MidiFile) -> list[float]:
    """The tempi (quarter notes per minute) of the file's set-tempo events."""
    return [
        60e6 / int.from_bytes(event.data, "big")
        for track in midi_file.tracks
        for event in track.events
        if isinstance(event, midi.MidiEvent) and event.type == midi.MetaEvents.SET_TEMPO and isinstance(event.data, bytes)
    ]


def write_midi(score: stream.Score, bpm: float, drums: DrumPattern | None, piece: Piece, path: Path) -> float:
    """Write the score at `bpm`, the drums and a closing All Sound Off as a MIDI file; returns the tempo it holds.

    The All Sound Off on every channel at the end lets FluidSynth 2.3.1 finish rendering even if a voice hangs (it
    renders until no voice is active).
    """
    score.parts[0].insert(0, tempo.MetronomeMark(number=bpm, referent=note.Note(type="quarter")))
    midi_file = midi.translate.streamToMidiFile(score)
    separate_channels(midi_file)
    end = float(score.highestTime)
    messages = [Message(end, 2, channel, CONTROLLER_CHANGE, ALL_SOUND_OFF, 0) for channel in range(1, 17)]
    if drums is not None:
        bars = [(float(m.offset), float(m.duration.quarterLength)) for m in score.parts[0].getElementsByClass(stream.Measure)]
        messages += drum_messages(drums, bars, piece.bar, first_onset(score))
    track = message_track(messages, midi_file.ticksPerQuarterNote)
    track.index = len(midi_file.tracks)
    midi_file.tracks.append(track)
    tempi = set(tempo_events(midi_file))
    if len(tempi) != 1:
        raise Skip("MIDI tempo not single")
    midi_file.open(str(path), "wb")
    midi_file.write()
    midi_file.close()
    return tempi.pop()


def render(midi_path: Path, soundfont: Path, raw_path: Path) -> np.ndarray:
    """FluidSynth's rendering of the MIDI file, float32 stereo frames."""
    command = ["fluidsynth", "-ni", "-q", "-T", "raw", "-O", "float", "-r", str(SAMPLE_RATE), "-g", FLUIDSYNTH_GAIN]
    try:
        subprocess.run(
            [*command, "-F", str(raw_path), str(soundfont), str(midi_path)], check=True, capture_output=True, timeout=RENDER_TIMEOUT
        )
    except subprocess.TimeoutExpired as error:
        raise Skip("rendering did not end") from error
    return np.fromfile(raw_path, dtype=np.float32).reshape(-1, 2)


def excerpt(audio: np.ndarray, seconds: float) -> np.ndarray:
    """`seconds` of audio from just before the first sound, peak-normalised to PEAK_LEVEL, as int16."""
    level = np.abs(audio).max(axis=1)
    peak = float(level.max())
    if peak == 0:
        raise Skip("silent rendering")
    first = int(np.argmax(level >= peak * SILENCE_BELOW_PEAK))
    start = max(0, first - round(LEAD_IN_SECONDS * SAMPLE_RATE))
    clip = audio[start : start + round(seconds * SAMPLE_RATE)]
    if len(clip) < MIN_SECONDS * SAMPLE_RATE:
        raise Skip("rendering too short")
    return np.round(clip / peak * PEAK_LEVEL * 32767).astype(np.int16)


def write_flac(samples: np.ndarray, path: Path) -> None:
    """Encode int16 stereo frames as FLAC."""
    with av.open(str(path), "w") as container:
        audio_stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="stereo")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        for packet in [*audio_stream.encode(frame), *audio_stream.encode(None)]:
            container.mux(packet)


def drum_pattern(slot: Slot, meter_: str) -> DrumPattern | None:
    """The slot's drum pattern among those written for the meter (none are, for compound metres)."""
    patterns = [pattern for pattern in DRUM_PATTERNS if pattern.meter == meter_]
    if slot.drum_choice is None or not patterns:
        return None
    return patterns[slot.drum_choice % len(patterns)]


def make_track(piece: Piece, slot: Slot, seconds: float, work: Path, flac_path: Path) -> dict[str, str]:
    """Render the piece as the slot says into `flac_path`; returns its labels.tsv row."""
    semitones = transposition(piece.tonic, slot.tonic)
    sharps = fewest_accidentals(slot.tonic, piece.mode)
    beat_quarters = BEAT_QUARTERS[piece.meter]
    quarters = first_onset(piece.score) + (seconds + RENDER_MARGIN_SECONDS) * slot.bpm * beat_quarters / 60
    score = arrange(piece, quarters, semitones, slot.ensemble)
    drums = drum_pattern(slot, piece.meter)
    midi_path = work / "piece.mid"
    bpm = write_midi(score, slot.bpm * beat_quarters, drums, piece, midi_path) / beat_quarters
    write_flac(excerpt(render(midi_path, slot.soundfont, work / "piece.raw"), seconds), flac_path)
    programs = slot.ensemble.programs(len(piece.score.parts))
    return {
        "audio": flac_path.name,
        "bpm": f"{bpm:.4f}",
        "tonic": tonic_name(sharps, piece.mode),
        "mode": piece.mode,
        "key_signature": str(sharps),
        "meter": piece.meter,
        "drums": "yes" if drums else "no",
        "instruments": f"{slot.ensemble.name}: {', '.join(GM_NAMES[p] for p in programs)}" + (f"; drums: {drums.name}" if drums else ""),
        "soundfont": slot.soundfont.name,
        "source": piece.candidate.source,
        "transpose": str(semitones),
    }


def next_group(accepted: Counter[str], exhausted: set[str]) -> str | None:
    """The group furthest below its share of the accepted pieces, None when all are exhausted."""
    open_groups = [name for name in GROUP_WEIGHTS if name not in exhausted]
    if not open_groups:
        return None
    return min(open_groups, key=lambda name: (accepted[name] / GROUP_WEIGHTS[name], -GROUP_WEIGHTS[name]))


def build(args: argparse.Namespace) -> None:
    """Choose, render and label the pieces; progress and a summary go to stderr."""
    soundfonts = available_soundfonts(args.soundfont)
    if shutil.which("fluidsynth") is None:
        sys.exit("fluidsynth not found")
    slots = draw_slots(args.pieces, args.seed, soundfonts)
    meters = COMPOUND_METERS if args.compound else METERS
    order = candidate_order(list_candidates(excluded_sources(args.exclude), meters), args.seed)
    excerpt_quarters = (args.seconds + RENDER_MARGIN_SECONDS) * BPM_RANGE[1] * max(BEAT_QUARTERS[m] for m in meters) / 60
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    accepted: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    exhausted: set[str] = set()
    noted = 0
    with tempfile.TemporaryDirectory() as work:
        while len(rows) < args.pieces and (group := next_group(accepted, exhausted)) is not None:
            candidate = next(order[group], None)
            if candidate is None:
                exhausted.add(group)
                continue
            slot = slots[len(rows)]
            try:
                piece = analyse(candidate, excerpt_quarters, meters)
                row = make_track(piece, slot, args.seconds, Path(work), args.out_dir / f"{slot.index:03d}.flac")
            except Skip as reason:
                skipped[str(reason)] += 1
                print(f"  skip {candidate.source}: {reason}", file=sys.stderr)
                continue
            rows.append(row)
            accepted[group] += 1
            noted += bool(piece.stated_key)
            print(progress_line(len(rows), args.pieces, piece, row), file=sys.stderr)
    with open(args.out_dir / "labels.tsv", "w", encoding="utf-8") as labels:
        labels.write("\t".join(TSV_HEADER) + "\n")
        labels.writelines("\t".join(row[column] for column in TSV_HEADER) + "\n" for row in rows)
    print_summary(rows, accepted, skipped, noted, args.pieces)


def progress_line(done: int, wanted: int, piece: Piece, row: dict[str, str]) -> str:
    """One line on a written piece: its source and key, and what it was made into."""
    source_key = f"{tonic_name(piece.sharps, piece.mode)} {piece.mode}"
    stated = f", MusicXML says {piece.stated_key}" if piece.stated_key else ""
    return (
        f"[{done:3d}/{wanted}] {row['audio']} {row['source']} ({piece.candidate.group}, {source_key}{stated}) -> "
        f"{row['tonic']} {row['mode']} {row['meter']} {float(row['bpm']):.2f} BPM, transposed {int(row['transpose']):+d}, "
        f"drums {row['drums']}, {row['instruments'].split(':')[0]}, {row['soundfont']}"
    )


def print_summary(rows: list[dict[str, str]], accepted: Counter[str], skipped: Counter[str], noted: int, wanted: int) -> None:
    """Counts of what was written and why candidates were skipped."""
    print(f"\nwrote {len(rows)} of {wanted} pieces: " + ", ".join(f"{n} {g}" for g, n in sorted(accepted.items())), file=sys.stderr)
    if len(rows) < wanted:
        print("ran out of candidates", file=sys.stderr)
    print(f"skipped {sum(skipped.values())} candidates:", file=sys.stderr)
    for reason, count in skipped.most_common():
        print(f"  {count:5d}  {reason}", file=sys.stderr)
    print(f"MusicXML <mode> disagreeing with the final-bass rule (the rule kept): {noted} of {len(rows)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    """Build the set the command line asks for."""
    build(parse_args(argv))


if __name__ == "__main__":
    main()
