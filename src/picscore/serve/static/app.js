// The picscore page: upload photos, play and rate the suggested tracks, render a slideshow.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { uploadId: null, chosenTrack: null };

// Calls the API; on 401 asks for the token once, keeps it in a cookie (audio and video send it too) and retries.
async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (response.status === 401 && !options.retried) {
    const token = window.prompt("This picscore server needs its API token:");
    if (token) {
      document.cookie = `picscore_token=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
      return api(path, { ...options, retried: true });
    }
  }
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) throw new Error(body?.detail ?? `${response.status} ${response.statusText}`);
  return body;
}

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

async function showStats() {
  try {
    const stats = await api("/api/library/stats");
    $("stats").textContent = `${stats.tracks} tracks, ${Math.round(stats.total_duration_seconds / 60)} min, ${stats.feedback} ratings`;
  } catch (error) {
    $("stats").textContent = error.message;
  }
}

// Ranks the tracks again for the photos already uploaded (when the mood changes).
async function rerank() {
  if (!state.uploadId) return;
  const mood = $("mood").value;
  try {
    const result = await api(`/api/uploads/${state.uploadId}/suggestions${mood ? `?mood=${encodeURIComponent(mood)}` : ""}`);
    showTracks(result.suggestions);
  } catch (error) {
    say($("status"), error.message, true);
  }
}

async function upload(files) {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const mood = $("mood").value;
  say($("status"), `uploading ${files.length} photo(s)…`);
  try {
    const result = await api(`/api/uploads${mood ? `?mood=${encodeURIComponent(mood)}` : ""}`, { method: "POST", body: form });
    state.uploadId = result.upload_id;
    showPhotos(result.photos);
    showTracks(result.suggestions);
    say($("status"), `${result.photos.length} photo(s), ${result.suggestions.length} suggestions`);
  } catch (error) {
    say($("status"), error.message, true);
  }
}

function showPhotos(photos) {
  $("photos").replaceChildren(
    ...photos.map((photo) => {
      const figure = document.createElement("figure");
      const image = document.createElement("img");
      image.src = photo.thumbnail_url;
      image.alt = photo.name;
      const caption = document.createElement("figcaption");
      caption.className = "mood";
      caption.textContent = `${photo.name}: ${photo.mood.words}`;
      figure.append(image, caption);
      return figure;
    }),
  );
}

function button(text, className, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.className = className;
  element.addEventListener("click", onClick);
  return element;
}

function showTracks(suggestions) {
  $("results").hidden = $("render").hidden = suggestions.length === 0;
  $("tracks").replaceChildren(
    ...suggestions.map((s) => {
      const item = document.createElement("li");
      item.dataset.trackId = s.track.id;
      const title = document.createElement("strong");
      title.textContent = `${s.track.title || s.track.file} `;
      const score = document.createTextNode(`score ${s.score.toFixed(2)} · ${Math.round(s.track.bpm ?? 0)} BPM `);
      const why = document.createElement("div");
      why.className = "why";
      why.textContent = s.reasons;
      const note = document.createElement("span");
      note.className = "done";
      item.append(
        title,
        score,
        button("▶ play", "play", () => play(s, item)),
        button("keep", "keep", () => rate(s.track.id, true, note)),
        button("reject", "reject", () => rate(s.track.id, false, note)),
        note,
        why,
      );
      return item;
    }),
  );
  if (suggestions.length) choose(suggestions[0].track.id);
}

function choose(trackId) {
  state.chosenTrack = trackId;
  for (const item of $("tracks").children) item.classList.toggle("chosen", Number(item.dataset.trackId) === trackId);
}

// Plays the track from its highlight: seeking needs the server's range requests.
function play(suggestion, item) {
  const player = $("player");
  choose(suggestion.track.id);
  player.src = suggestion.track.audio_url;
  player.addEventListener("loadedmetadata", () => {
    player.currentTime = suggestion.start_seconds;
  }, { once: true });
  player.play().catch((error) => say($("status"), `cannot play: ${error.message}`, true));
  item.scrollIntoView({ block: "nearest" });
}

async function rate(trackId, kept, note) {
  try {
    await api("/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ upload_id: state.uploadId, track_id: trackId, kept }),
    });
    note.textContent = kept ? "kept ✓" : "rejected ✗";
    showStats();
  } catch (error) {
    note.textContent = error.message;
  }
}

async function render() {
  const [width, height] = $("size").value.split("x").map(Number);
  const duration = $("length").value ? Number($("length").value) : null;
  const progress = $("render-progress");
  $("render-button").disabled = true;
  $("video").hidden = $("download").hidden = true;
  progress.hidden = false;
  progress.value = 0;
  try {
    let job = await api("/api/renders", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ upload_id: state.uploadId, track_id: state.chosenTrack, width, height, duration_seconds: duration }),
    });
    while (job.state === "queued" || job.state === "running") {
      say($("render-status"), `${job.state}: ${Math.round(job.progress * 100)} %`);
      progress.value = job.progress;
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await api(`/api/renders/${job.id}`);
    }
    if (job.state === "failed") throw new Error(job.error);
    progress.value = 1;
    say($("render-status"), `done: ${job.duration_seconds.toFixed(1)} s of video`);
    $("video").src = job.video_url;
    $("video").hidden = false;
    $("download").href = job.download_url;
    $("download").hidden = false;
  } catch (error) {
    say($("render-status"), error.message, true);
  } finally {
    $("render-button").disabled = false;
  }
}

function setUp() {
  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) upload(event.dataTransfer.files);
  });
  $("files").addEventListener("change", (event) => {
    if (event.target.files.length) upload(event.target.files);
  });
  for (const mood of ["calmer", "more energetic", "happier", "sadder"]) $("mood").append(new Option(mood, mood));
  $("mood").addEventListener("change", rerank);
  $("render-button").addEventListener("click", render);
  showStats();
}

setUp();
