// Tables marked .table-stack become one block per row on phones (css/app.css): each cell is
// labelled with its column's heading (already translated in the page), unless the template
// labelled it itself; cells holding buttons or forms stay unlabelled and full width.
for (const table of document.querySelectorAll("table.table-stack")) {
  const headings = [...table.querySelectorAll("thead > tr > th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody > tr")) {
    let column = 0;
    for (const cell of row.cells) {
      const heading = headings[column];
      column += cell.colSpan || 1;
      if (cell.hasAttribute("data-label") || !heading || heading === "#") continue;
      if (cell.querySelector(".btn, form, details")) continue;
      cell.dataset.label = heading;
    }
  }
}
