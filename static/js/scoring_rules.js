// Scoring rules page: while a rescore runs, refresh its card (progress, then the tiers after).
// The card is our own server-rendered partial, parsed with DOMParser (never innerHTML).
const DELAY_MS = 2000;

async function refresh(card) {
  const response = await fetch(card.dataset.statusUrl, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("rescore-card");
  if (!fresh) return;
  card.replaceWith(document.importNode(fresh, true));
  watch();
}

function watch() {
  const card = document.getElementById("rescore-card");
  if (card && card.dataset.running === "1") setTimeout(() => refresh(card), DELAY_MS);
}

watch();
