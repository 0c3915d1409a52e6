// The picscore page: add photos (a whole camera roll is fine), see the ones worth showing, hear and choose the music,
// preview and render the slideshow. Plain browser JavaScript, no build step; every number comes from the API.
"use strict";

const $ = (id) => document.getElementById(id);
const IMAGE_NAME = /\.(jpe?g|png|webp|gif|bmp|tiff?|avif|hei[cf])$/i;
const state = {
  options: null,
  optionsLoaded: null, // the promise of options: photos added before the server answered wait for it
  uploadId: null,
  photos: new Map(), // index -> {index, name, thumbnail_url, mood?, reason?}
  shown: [], // indices, in showing order
  left: [], // indices left out (curation's verdicts, or removed by hand)
  chapters: new Set(),
  suggestions: [],
  track: null, // the suggestion whose track the video uses
  chosenByHand: false, // "use this song" was pressed: new suggestions keep that track while it is among them
  titleEdited: false,
  previewed: false,
};

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// Calls the API; on 401 asks for the token once, keeps it in a cookie (audio and video send it too) and retries.
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError("the picscore server cannot be reached: is `picscore serve` still running?", 0);
  }
  if (response.status === 401 && !options.retried) {
    const token = window.prompt("This picscore server needs its API token:");
    if (token) {
      document.cookie = `picscore_token=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
      return api(path, { ...options, retried: true });
    }
  }
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(words(response.status, body?.detail), response.status);
  return body;
}

// The server's one-line detail, in words a person acts on for the states the page knows.
function words(status, detail) {
  if (status === 503) return `The server is busy with other videos; try again in a minute. (${detail})`;
  if (status === 409 && detail?.includes("library is empty")) return "Your music library is empty: add music with `picscore index ~/Music`, then reload.";
  return detail ?? `the server answered ${status}`;
}

const post = (path, json) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(json) });

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

function element(tag, { className, text, ...attributes } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function button(text, className, onClick, label) {
  const node = element("button", { type: "button", className, text });
  if (label) node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

async function showLibrary() {
  try {
    const stats = await api("/api/library/stats");
    $("stats").textContent = `${stats.tracks} tracks, ${Math.round(stats.total_duration_seconds / 60)} min of music, ${stats.feedback} ratings`;
    const empty = stats.tracks === 0;
    $("library-state").hidden = !empty;
    if (empty) $("library-state").textContent = words(409, "the library is empty");
  } catch (error) {
    say($("stats"), error.message, true);
  }
}

async function loadOptions() {
  state.options = await api("/api/options");
  for (const mood of state.options.moods) $("mood").append(new Option(mood, mood));
  for (const transition of state.options.transitions) $("transition").append(new Option(transition, transition));
}

// --- adding photos -----------------------------------------------------------------------------------------------

// Every file under the dropped items, folders walked (readEntries answers in chunks until it answers none).
async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files];
  const files = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!chunk.length) break;
        for (const child of chunk) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return files;
}

// Batches that fit the server's per-request limits.
function batches(files) {
  const { max_files_per_request: maxFiles, max_request_bytes: maxBytes } = state.options;
  const room = maxBytes - 1024 * 1024;
  const result = [];
  let batch = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length && (batch.length >= maxFiles || bytes + file.size > room)) {
      result.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += file.size;
  }
  if (batch.length) result.push(batch);
  return result;
}

async function addPhotos(files) {
  const pictures = [...files].filter((file) => file.type.startsWith("image/") || IMAGE_NAME.test(file.name));
  if (!pictures.length) {
    say($("status"), `No photos among the ${files.length} file(s): picscore reads JPEG, PNG, WebP, HEIC, GIF, BMP, TIFF and AVIF.`, true);
    return;
  }
  try {
    await state.optionsLoaded; // the batches follow the server's limits
  } catch {
    return; // its error is said already
  }
  const problems = [];
  let sent = 0;
  for (const batch of batches(pictures)) {
    say($("status"), `Uploading photos: ${sent} of ${pictures.length}…`);
    const form = new FormData();
    for (const file of batch) {
      form.append("files", file, file.name);
      form.append("modified", String(file.lastModified));
    }
    try {
      const path = state.uploadId ? `/api/uploads/${state.uploadId}/photos` : "/api/uploads?suggest=false";
      const added = await api(path, { method: "POST", body: form });
      state.uploadId = added.upload_id;
      for (const photo of added.photos) state.photos.set(photo.index, photo);
      problems.push(...added.skipped.map((s) => s.reason));
    } catch (error) {
      if (error.status === 503 || error.status === 0) return say($("status"), error.message, true);
      problems.push(error.message);
    }
    sent += batch.length;
  }
  if (!state.photos.size) {
    say($("status"), `None of the photos could be read: ${problems.slice(0, 3).join("; ")}`, true);
    return;
  }
  const skipped = problems.length ? ` Skipped: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? "; …" : ""}` : "";
  say($("status"), `${state.photos.size} photo(s) uploaded.${skipped}`, problems.length > 0);
  await curate();
}

// --- curation, the photo grid, reordering -----------------------------------------------------------------------

async function curate() {
  const length = $("length").value;
  say($("photo-summary"), "· choosing the best photos…");
  $("photos-section").hidden = false;
  try {
    const result = await api(`/api/uploads/${state.uploadId}/curation${length ? `?length_seconds=${length}` : ""}`);
    for (const verdict of result.photos) state.photos.get(verdict.index).reason = verdict.reason;
    state.shown = [...result.kept];
    state.left = result.order.filter((index) => !result.kept.includes(index));
    state.chapters = new Set(result.chapters);
    if (!state.titleEdited) $("title").value = result.title;
    showPhotos();
    await suggestMusic();
  } catch (error) {
    say($("photo-summary"), error.message, true);
  }
}

function showPhotos() {
  const summary = `· showing ${state.shown.length} of ${state.photos.size}`;
  say($("photo-summary"), state.left.length ? `${summary}, ${state.left.length} left out` : summary);
  $("photos").replaceChildren(...state.shown.map((index, position) => shownPhoto(state.photos.get(index), position)));
  $("dropped").replaceChildren(...state.left.map((index) => leftPhoto(state.photos.get(index))));
  $("left-out").hidden = state.left.length === 0;
  $("left-out-count").textContent = state.left.length;
  $("per-chapter-setting").hidden = !state.shown.some((index, position) => position > 0 && state.chapters.has(index));
}

function photoCard(photo, tag = "li") {
  const card = element(tag, { className: "photo", "data-index": photo.index });
  const image = element("img", { src: photo.thumbnail_url, alt: photo.name, loading: "lazy" });
  card.append(image, element("div", { className: "name", text: photo.name, title: photo.name }));
  return card;
}

function shownPhoto(photo, position) {
  const card = photoCard(photo);
  card.tabIndex = 0;
  card.draggable = true;
  card.classList.toggle("chapter", state.chapters.has(photo.index) && position > 0);
  card.setAttribute("aria-label", `${photo.name}, photo ${position + 1} of ${state.shown.length}`);
  card.append(
    element("div", { className: "mood", text: photo.mood ? photo.mood.words : "" }),
    element(
      "div",
      { className: "tools" },
      button("←", "earlier", () => move(photo.index, -1), `move ${photo.name} earlier`),
      button("→", "later", () => move(photo.index, +1), `move ${photo.name} later`),
      button("✕", "remove", () => remove(photo.index), `remove ${photo.name}`),
    ),
  );
  card.addEventListener("keydown", (event) => {
    if (event.target !== card) return;
    const step = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[event.key];
    if (step) move(photo.index, step);
    else if (event.key === "Delete" || event.key === "Backspace") remove(photo.index);
    else return;
    event.preventDefault();
  });
  card.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData("text/x-picscore-photo", String(photo.index));
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  card.addEventListener("dragend", () => card.classList.remove("dragging"));
  card.addEventListener("dragover", (event) => {
    if (!event.dataTransfer.types.includes("text/x-picscore-photo")) return;
    event.preventDefault();
    card.classList.add("drop-before");
  });
  card.addEventListener("dragleave", () => card.classList.remove("drop-before"));
  card.addEventListener("drop", (event) => {
    const dragged = Number(event.dataTransfer.getData("text/x-picscore-photo"));
    if (Number.isNaN(dragged) || !event.dataTransfer.types.includes("text/x-picscore-photo")) return;
    event.preventDefault();
    event.stopPropagation();
    placeBefore(dragged, photo.index);
  });
  return card;
}

function leftPhoto(photo) {
  const card = photoCard(photo);
  card.append(
    element("div", { className: "reason", text: photo.reason ?? "removed" }),
    element("div", { className: "tools" }, button("restore", "restore", () => restore(photo.index), `restore ${photo.name}`)),
  );
  return card;
}

function focusPhoto(index) {
  $("photos").querySelector(`[data-index="${index}"]`)?.focus();
}

function move(index, step) {
  const from = state.shown.indexOf(index);
  const to = from + step;
  if (to < 0 || to >= state.shown.length) return;
  state.shown.splice(from, 1);
  state.shown.splice(to, 0, index);
  showPhotos();
  focusPhoto(index);
}

function placeBefore(dragged, target) {
  if (dragged === target || !state.shown.includes(dragged)) return;
  state.shown.splice(state.shown.indexOf(dragged), 1);
  state.shown.splice(state.shown.indexOf(target), 0, dragged);
  showPhotos();
}

function remove(index) {
  const position = state.shown.indexOf(index);
  state.shown.splice(position, 1);
  state.left.unshift(index);
  state.photos.get(index).reason = "removed by you";
  showPhotos();
  focusPhoto(state.shown[Math.min(position, state.shown.length - 1)]);
  suggestSoon();
}

function restore(index) {
  state.left.splice(state.left.indexOf(index), 1);
  state.shown.push(index);
  showPhotos();
  suggestSoon();
}

// --- music ---------------------------------------------------------------------------------------------------------

let suggestTimer = null;
function suggestSoon() {
  clearTimeout(suggestTimer);
  say($("using"), "Listening for the music that fits…");
  $("tracks").setAttribute("aria-busy", "true");
  suggestTimer = setTimeout(suggestMusic, 400);
}

async function suggestMusic() {
  if (!state.shown.length) {
    $("results").hidden = $("make").hidden = true;
    return;
  }
  const query = new URLSearchParams(state.shown.map((index) => ["photos", index]));
  if ($("mood").value) query.set("mood", $("mood").value);
  if ($("length").value) query.set("length_seconds", $("length").value);
  say($("using"), "Listening for the music that fits…");
  $("tracks").setAttribute("aria-busy", "true");
  $("results").hidden = false;
  try {
    const result = await api(`/api/uploads/${state.uploadId}/suggestions?${query}`);
    for (const photo of result.photos) {
      state.photos.get(photo.index).mood = photo.mood;
      const caption = $("photos").querySelector(`[data-index="${photo.index}"] .mood`);
      if (caption) caption.textContent = photo.mood.words; // in place: a photo being moved keeps its focus
    }
    $("overall-mood").textContent = `· the photos feel ${result.mood.words}`;
    state.suggestions = result.suggestions;
    const still = state.chosenByHand ? result.suggestions.find((s) => s.track.id === state.track?.track.id) : undefined;
    showTracks(result.suggestions);
    useSong(still ?? result.suggestions.find((s) => s.lasts) ?? result.suggestions[0], !still); // the best fit that lasts the video
    $("make").hidden = result.suggestions.length === 0;
    if (!state.previewed && result.suggestions.length) {
      state.previewed = true;
      makeVideo({ preview: true }); // the first look: a quick draft plays within seconds
    }
  } catch (error) {
    say($("using"), error.message, true);
    if (error.status === 409) $("tracks").replaceChildren();
  } finally {
    $("tracks").removeAttribute("aria-busy");
  }
}

const trackName = (track) => (track.artist ? `${track.title || track.file} – ${track.artist}` : track.title || track.file);

function showTracks(suggestions) {
  $("tracks").replaceChildren(
    ...suggestions.map((s) => {
      const item = element("li", { "data-track-id": s.track.id });
      const note = element("span", { className: "done", role: "status" });
      const facts = `${Math.round(s.track.bpm ?? 0)} BPM · ${Math.round(s.track.duration)} s · ${s.track.mood?.words ?? ""}`;
      item.append(
        element("span", { className: "title", text: trackName(s.track) }),
        element("span", { className: "facts", text: facts }),
        element(
          "div",
          { className: "actions" },
          button("▶ play", "play", () => play(s, item), `play ${trackName(s.track)} from its best part`),
          button("use this song", "use", () => useSong(s, false)),
          button("keep", "keep", () => rate(s.track.id, true, note), `keep: ${trackName(s.track)} fits these photos`),
          button("reject", "reject", () => rate(s.track.id, false, note), `reject: ${trackName(s.track)} does not fit`),
          note,
        ),
        element("div", { className: "why", text: s.reasons }),
      );
      return item;
    }),
  );
}

function useSong(suggestion, automatic) {
  state.track = suggestion ?? null;
  state.chosenByHand = !automatic;
  for (const item of $("tracks").children) item.classList.toggle("chosen", Number(item.dataset.trackId) === suggestion?.track.id);
  showUsing();
}

// A track for each chapter: asked for, and the photos shown have chapters.
const perChapter = () => $("per-chapter").checked && !$("per-chapter-setting").hidden;

function showUsing() {
  const suggestion = state.track;
  if (!suggestion) return;
  if (perChapter()) return say($("using"), "Using: a track for each chapter, the best fit for its photos (named when the video is made)");
  const why = suggestion.lasts ? "the best fit that lasts the video" : "the best fit; phrases of it repeat to last the video";
  say($("using"), `Using: ${trackName(suggestion.track)}${state.chosenByHand ? "" : ` (${why}; choose another with “use this song”)`}`);
}

// Plays the track from its highlight: seeking needs the server's range requests.
function play(suggestion, item) {
  const player = $("player");
  player.src = suggestion.track.audio_url;
  player.addEventListener("loadedmetadata", () => (player.currentTime = suggestion.start_seconds), { once: true });
  player.play().catch((error) => say($("using"), `cannot play: ${error.message}`, true));
  item.scrollIntoView({ block: "nearest" });
}

async function rate(trackId, kept, note) {
  try {
    await post("/api/feedback", { upload_id: state.uploadId, track_id: trackId, kept, photos: state.shown });
    note.textContent = kept ? "kept ✓" : "rejected ✗";
    showLibrary();
  } catch (error) {
    note.textContent = error.message;
  }
}

// --- the video -----------------------------------------------------------------------------------------------------

async function makeVideo({ preview }) {
  if (!state.track) return;
  const video = $("video");
  const progress = $("render-progress");
  const kind = preview ? "preview" : "video";
  $("preview-button").disabled = $("render-button").disabled = true;
  $("result").hidden = true;
  progress.hidden = false;
  progress.value = 0;
  const request = {
    upload_id: state.uploadId,
    ...(perChapter() ? { track_per_chapter: true } : { track_id: state.track.track.id }),
    photos: state.shown,
    preview,
    aspect: $("aspect").value,
    transition: $("transition").value,
    title: $("title").value,
    duration_seconds: $("length").value ? Number($("length").value) : null,
  };
  try {
    let job = await post("/api/renders", request);
    while (job.state === "queued" || job.state === "running") {
      say($("render-status"), job.state === "queued" ? `Waiting for the ${kind}…` : `Making the ${kind}: ${Math.round(job.progress * 100)} %`);
      progress.value = job.progress;
      await new Promise((resolve) => setTimeout(resolve, preview ? 250 : 500));
      job = await api(`/api/renders/${job.id}`);
    }
    if (job.state === "failed") throw new Error(job.error);
    progress.value = 1;
    say($("render-status"), `${preview ? "Preview" : "Video"}: ${job.photos} photos, ${job.duration_seconds.toFixed(1)} s${job.repeats ? ` (${job.repeats})` : ""}`);
    video.style.aspectRatio = `${job.width} / ${job.height}`;
    video.src = job.video_url;
    video.hidden = false;
    video.addEventListener("playing", () => performance.mark(`${kind}-playing`), { once: true });
    video.play().catch(() => {}); // a browser may want a click first; the controls are there
    $("result-track").textContent = `Music: ${job.tracks.map(trackName).join(", then ")}.`;
    $("download").href = job.download_url;
    $("download").textContent = preview ? "Download the preview" : "Download the video";
    $("result").hidden = false;
  } catch (error) {
    say($("render-status"), error.message, true);
  } finally {
    progress.hidden = true;
    $("preview-button").disabled = $("render-button").disabled = false;
  }
}

// --- wiring --------------------------------------------------------------------------------------------------------

function setUp() {
  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const files = await droppedFiles(event.dataTransfer);
    if (files.length) addPhotos(files);
  });
  drop.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      $("files").click();
    }
  });
  for (const input of [$("files"), $("folder")]) {
    input.addEventListener("change", () => {
      if (input.files.length) addPhotos(input.files);
      input.value = "";
    });
  }
  $("mood").addEventListener("change", suggestMusic);
  $("length").addEventListener("change", () => state.uploadId && curate());
  $("title").addEventListener("input", () => (state.titleEdited = true));
  $("per-chapter").addEventListener("change", showUsing);
  $("preview-button").addEventListener("click", () => makeVideo({ preview: true }));
  $("render-button").addEventListener("click", () => makeVideo({ preview: false }));
  showLibrary();
  state.optionsLoaded = loadOptions();
  state.optionsLoaded.catch((error) => say($("status"), error.message, true));
}

setUp();
