import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// Thumbnails of the output folder's index (searchable, filtered, sorted) and a viewer with
// the image's parameters and what to do with them.
SplitView {
    id: gallery
    required property StudioController controller
    readonly property GalleryModel images: controller.gallery
    property var selected: ({})  // the chosen row's roles (model.entry), kept while rows move
    signal recall(var params)
    signal rerun(var params)
    signal sendToImg2img(string path)

    function select(row) { selected = images.entry(row) }

    function trashSelected() {
        if (selected.imageId === undefined) return
        images.moveToTrash(selected.imageId)
        selected = {}
    }

    ColumnLayout {
        SplitView.fillWidth: true
        spacing: 6
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            TextField {
                placeholderText: qsTr("Search prompts")
                Layout.fillWidth: true
                onTextChanged: gallery.images.search = text
            }
            FittedComboBox {
                textRole: "text"
                valueRole: "order"
                model: [{ text: qsTr("Newest first"), order: GalleryModel.NewestFirst },
                        { text: qsTr("Oldest first"), order: GalleryModel.OldestFirst },
                        { text: qsTr("File name A–Z"), order: GalleryModel.FileName },
                        { text: qsTr("Largest first"), order: GalleryModel.LargestFirst }]
                onActivated: gallery.images.sortOrder = currentValue
            }
            BusyIndicator { running: gallery.images.scanning; visible: running; Layout.preferredHeight: 32 }
            Label {
                text: gallery.images.count === 1 ? qsTr("1 image") : qsTr("%1 images").arg(gallery.images.count)
                opacity: 0.7
            }
            Button { text: qsTr("Refresh"); onClicked: gallery.images.rescan() }
        }
        Flow {
            Layout.fillWidth: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            spacing: 6
            FacetFilter {
                anyText: qsTr("Any model")
                facet: gallery.images.facets.models ?? []
                value: gallery.images.modelFilter
                onActivated: gallery.images.modelFilter = currentValue
            }
            FacetFilter {
                anyText: qsTr("Any sampler")
                facet: gallery.images.facets.samplers ?? []
                value: gallery.images.samplerFilter
                onActivated: gallery.images.samplerFilter = currentValue
            }
            FacetFilter {
                anyText: qsTr("Any size")
                facet: gallery.images.facets.sizes ?? []
                value: gallery.images.sizeFilter
                onActivated: gallery.images.sizeFilter = currentValue
            }
            FittedComboBox {
                readonly property var days: [0, 1, 7, 30]
                model: [qsTr("Any time"), qsTr("Today"), qsTr("Last 7 days"), qsTr("Last 30 days")]
                onActivated: gallery.images.withinDays = days[currentIndex]
            }
            CheckBox {
                text: qsTr("Favourites")
                onToggled: gallery.images.favouritesOnly = checked
            }
        }
        GridView {
            id: grid
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            focus: true
            cellWidth: 180
            cellHeight: 180
            model: gallery.images
            cacheBuffer: 720
            reuseItems: true
            ScrollBar.vertical: ScrollBar {}
            Keys.onDeletePressed: gallery.trashSelected()
            delegate: Item {
                id: cell
                required property int index
                required property var imageId
                required property string path
                required property string prompt
                required property bool favourite
                width: grid.cellWidth
                height: grid.cellHeight
                GalleryThumbnail {
                    anchors.fill: parent
                    anchors.margins: 4
                    path: cell.path
                    selected: gallery.selected.imageId === cell.imageId
                }
                MouseArea {
                    anchors.fill: parent
                    onClicked: { gallery.select(cell.index); grid.forceActiveFocus() }
                    onDoubleClicked: gallery.recall(gallery.controller.recallParameters(cell.index))
                }
                ToolButton {
                    anchors { top: parent.top; right: parent.right; margins: 6 }
                    text: cell.favourite ? "★" : "☆"
                    opacity: cell.favourite || hover.hovered ? 1 : 0
                    onClicked: gallery.images.setFavourite(cell.imageId, !cell.favourite)
                    ToolTip.text: cell.favourite ? qsTr("Remove from favourites") : qsTr("Add to favourites")
                    ToolTip.visible: hovered
                }
                ToolTip.text: cell.prompt
                ToolTip.visible: hover.hovered && cell.prompt !== ""
                ToolTip.delay: 600
                HoverHandler { id: hover }
            }
            Label {
                anchors.centerIn: parent
                visible: grid.count === 0 && !gallery.images.scanning
                text: qsTr("No images in %1").arg(gallery.images.folder)
                opacity: 0.5
            }
        }
        UndoBanner {
            id: undoBanner
            Layout.fillWidth: true
            Layout.margins: 8
            onUndo: gallery.images.undoTrash()
        }
    }

    ImageViewer {
        SplitView.preferredWidth: 520
        controller: gallery.controller
        entry: gallery.selected
        onRecall: params => gallery.recall(params)
        onRerun: params => gallery.rerun(params)
        onSendToImg2img: path => gallery.sendToImg2img(path)
        onFavouriteToggled: favourite => {
            gallery.images.setFavourite(gallery.selected.imageId, favourite)
            gallery.selected = Object.assign({}, gallery.selected, { favourite: favourite })
        }
        onTrash: gallery.trashSelected()
    }

    Connections {
        target: gallery.images
        function onTrashed(fileName) { undoBanner.show(qsTr("Moved %1 to the trash").arg(fileName)) }
    }
}
